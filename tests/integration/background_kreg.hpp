// kreg started in the background, and the processes a run leaves behind:
// for the VM tests that kill, stop or race kreg and its QEMUs.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/kreg_cli.hpp"
#include "vm/common/process_identity.hpp"

namespace kreg::test {

// kreg started in the background, its output in files.
struct BackgroundKreg {
  pid_t pid = -1;
  std::string out, err;
  BackgroundKreg(const std::string& dir, std::vector<std::string> args, const std::string& name = "kreg")
      : out(dir + "/" + name + ".out"), err(dir + "/" + name + ".err") {
    args.insert(args.begin(), kreg_binary());
    pid = spawn_process(args, {"", out, err, true});
  }
  // Exit code, or -1 if it had to be killed after `timeout_s` (or a signal ended it).
  int wait(double timeout_s) {
    auto start = std::chrono::steady_clock::now();
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_s) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string stderr_text() const {
    std::ifstream in(err);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

// Live (not zombie) processes other than this one whose command line
// contains `needle`, as "PID cmdline".
inline std::vector<std::string> processes_with(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == getpid() || !identify_process(pid)) continue;  // gone, or a zombie
    std::string cmdline = process_cmdline(pid);
    if (cmdline.find(needle) != std::string::npos) found.push_back(name + " " + cmdline.substr(0, 160));
  }
  return found;
}

// PIDs of the QEMU processes whose command line mentions `needle`.
inline std::vector<pid_t> qemu_pids_with(const std::string& needle) {
  std::vector<pid_t> pids;
  for (const auto& p : processes_with(needle))
    if (p.find("qemu-system") != std::string::npos) pids.push_back(std::stoi(p));
  return pids;
}

// True once `done()` holds, false after `timeout_s`.
inline bool wait_until(double timeout_s, const std::function<bool()>& done) {
  auto start = std::chrono::steady_clock::now();
  while (!done()) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace kreg::test
