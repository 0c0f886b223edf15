#include "vm/boot/accelerator.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace kreg {

std::string find_qemu(const std::string& name) {
  auto qemu = find_program(name);
  if (!qemu)
    throw KregError("QEMU binary '" + name +
                    "' not found (run ./setup.sh to install qemu-system-x86, or pass --qemu PATH)");
  return *qemu;
}

std::string to_string(Accelerator a) { return a == Accelerator::Kvm ? "kvm" : "tcg"; }

namespace {

// A boot sector: write 'K' to COM1, then halt forever. SeaBIOS loads it at
// 0x7c00; nothing else in the guest writes to the serial port.
std::string probe_boot_sector() {
  std::string sector(512, '\0');
  const unsigned char code[] = {0xBA, 0xF8, 0x03,  // mov dx, 0x3f8
                                0xB0, 'K',         // mov al, 'K'
                                0xEE,              // out dx, al
                                0xFA,              // cli
                                0xF4,              // hlt
                                0xEB, 0xFD};       // jmp hlt
  std::memcpy(sector.data(), code, sizeof code);
  sector[510] = '\x55';
  sector[511] = '\xAA';
  return sector;
}

bool file_has_k(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.find('K') != std::string::npos;
}

}  // namespace

std::string kvm_unusable_reason(const std::string& qemu_binary) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) return std::string("/dev/kvm: ") + std::strerror(errno);
  namespace fs = std::filesystem;
  // PVM (kvm_pvm) runs only PVM-enabled guests: it runs the probe's boot
  // sector, even one that enters long mode, but a stock kernel hangs right
  // after its real-mode setup, so the probe cannot tell. Its module says so.
  if (fs::exists("/sys/module/kvm_pvm") && !fs::exists("/sys/module/kvm_intel") && !fs::exists("/sys/module/kvm_amd"))
    return "the host's KVM is kvm_pvm, which boots only PVM-enabled guest kernels";
  char dir_tmpl[] = "/tmp/kreg-kvmprobe-XXXXXX";
  if (!mkdtemp(dir_tmpl)) return std::string("cannot create a temporary directory: ") + std::strerror(errno);
  std::string dir = dir_tmpl, image = dir + "/boot.img", serial = dir + "/serial.out";
  std::ofstream(image, std::ios::binary) << probe_boot_sector();
  pid_t pid = spawn_process({qemu_binary, "-accel", "kvm", "-cpu", "host", "-m", "16", "-nodefaults", "-no-user-config",
                             "-display", "none", "-monitor", "none", "-nic", "none", "-drive",
                             "file=" + image + ",format=raw,if=ide,index=0", "-serial", "file:" + serial},
                            {"", dir + "/qemu.out", "=stdout", true});
  std::string reason = "QEMU under KVM did not run a one-sector guest within 5 s";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (file_has_k(serial)) {
      reason.clear();
      break;
    }
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      std::ifstream err(dir + "/qemu.out");
      std::string first_line;
      std::getline(err, first_line);
      reason = "QEMU under KVM exited at once: " + first_line;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return reason;
}

AcceleratorChoice choose_accelerator(const std::string& requested, const std::string& qemu_binary) {
  if (requested == "tcg") return {Accelerator::Tcg, "requested with --accel tcg"};
  if (requested != "auto" && requested != "kvm")
    throw KregError("unknown accelerator '" + requested + "' (use auto, kvm or tcg)");
  std::string why_not = kvm_unusable_reason(qemu_binary);
  if (why_not.empty()) return {Accelerator::Kvm, "QEMU ran a guest under KVM"};
  if (requested == "kvm") throw KregError("--accel kvm: " + why_not + " (use --accel auto or tcg)");
  return {Accelerator::Tcg, "KVM unusable: " + why_not};
}

}  // namespace kreg
