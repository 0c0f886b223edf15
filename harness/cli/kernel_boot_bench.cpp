#include "harness/cli/kernel_boot_bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/matrix/suite.hpp"
#include "harness/store/result_store.hpp"
#include "harness/term/text_table.hpp"
#include "vm/boot/accelerator.hpp"
#include "vm/boot/boot_breakdown.hpp"
#include "vm/boot/boot_plan.hpp"
#include "vm/boot/guest_image.hpp"
#include "vm/boot/qemu_vm.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// The real-mode setup's first line, once the firmware handed over (a
// bzImage boot only: with PVH, QEMU enters the kernel itself).
constexpr const char* kSetupStarts = "Probing EDD";

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x < 0; }), v.end());
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string seconds(double s) { return s < 0 ? "-" : fmt::format("{:.2f}", s); }

// One boot: the breakdown plus the decompressor's console marks.
nlohmann::json boot_once(VmSpec spec) {
  nlohmann::json boot;
  VmOutcome out = run_vm(spec, [&](const Frame& f, const VmOutcome& so_far) {
    if (f.type != "hello") return;
    nlohmann::json hello = nlohmann::json::parse(f.payload, nullptr, false);
    if (hello.is_object()) boot = boot_breakdown(so_far.boot_to_hello_s, hello.value("boot", nlohmann::json()));
  });
  if (boot.is_null())
    throw KregError(
        fmt::format("the guest on {} did not say hello ({}): {}", spec.kernel, out.reason, out.console_tail));
  if (out.console_mark_s.contains(kSetupStarts)) {
    boot["firmware_s"] = out.console_mark_s[kSetupStarts];
    if (boot.contains("before_kernel_s"))
      boot["setup_decompress_s"] = boot["before_kernel_s"].get<double>() - out.console_mark_s[kSetupStarts];
  }
  boot["wall_s"] = out.wall_s;
  if (out.boots > 1) boot["boots"] = out.boots;  // an earlier boot stalled; the timings are this one's
  return boot;
}

}  // namespace

int kernel_boot_bench(const KernelsOptions& o, const std::string& cache_dir) {
  if (o.boots < 1) throw KregError("--boots must be at least 1 (got " + std::to_string(o.boots) + ")");
  if (!known_entry(o.entry)) throw KregError("--entry must be auto, pvh or bzimage (got '" + o.entry + "')");
  if (!known_machine(o.machine)) throw KregError("--machine must be auto, pc or microvm (got '" + o.machine + "')");
  std::vector<KernelSpec> specs;
  for (const auto& s : o.specs) specs.emplace_back(s);
  if (specs.empty()) specs = load_suite("default").kernels;
  for (const auto& k : specs) check_kernel_spec(k);
  const std::string qemu = find_qemu(o.qemu);
  const AcceleratorChoice accel = choose_accelerator("auto", qemu);
  const GuestBinaries guest = locate_guest_binaries();

  const std::string dir = cache_dir + "/bench/" + make_run_id("boot");
  fs::create_directories(dir);
  const std::string image = dir + "/initramfs.cpio";
  build_guest_image(image, guest, {{"jobs", nlohmann::json::array()}});

  nlohmann::json report = {{"accelerator", to_string(accel.accelerator)}, {"boots", o.boots}, {"kernels", {}}};
  std::vector<std::vector<std::string>> rows = {{"kernel", "to hello", "before kernel", "firmware", "setup+decompress",
                                                 "kernel init", "initramfs", "agent", "image MiB"}};
  for (size_t k = 0; k < specs.size(); ++k) {
    KernelImage kernel = obtain_kernel(specs[k], cache_dir);
    VmSpec spec;
    spec.qemu_binary = qemu;
    const BootPlan plan = plan_boot(kernel, accel.accelerator, {o.machine, o.entry});
    spec.kernel = plan.kernel;
    spec.machine = plan.machine;
    spec.tsc_khz = plan.tsc_khz;
    spec.initrd = image;
    spec.console_log = dir + "/console.log";
    spec.results_log = dir + "/results.serial";
    spec.qemu_log = dir + "/qemu.log";
    spec.accelerator = accel.accelerator;
    spec.vcpus = 1;
    spec.memory_mib = 1024;
    spec.timeout_s = 120;
    spec.hello_timeout_s = 120;
    // The setup code writes to the serial port only when told where it is.
    spec.extra_append = "earlyprintk=serial,ttyS0,115200" + (o.append.empty() ? "" : " " + o.append);
    spec.console_marks = {kSetupStarts};
    nlohmann::json boots = nlohmann::json::array();
    for (int b = 0; b < o.boots; ++b) {
      std::fprintf(stderr, "kreg: kernel %zu/%zu %s: boot %d/%d\r", k + 1, specs.size(), kernel.release.c_str(), b + 1,
                   o.boots);
      boots.push_back(boot_once(spec));
    }
    std::fprintf(stderr, "\n");
    auto med = [&](const char* key) {
      std::vector<double> v;
      for (const auto& b : boots) v.push_back(b.value(key, -1.0));  // -1: a phase this boot did not report
      return median(v);
    };
    const double image_mib = static_cast<double>(fs::file_size(image)) / (1 << 20);
    rows.push_back({kernel.release + " (" + plan.entry + ", " + to_string(plan.machine) + ")",
                    seconds(med("to_hello_s")), seconds(med("before_kernel_s")), seconds(med("firmware_s")),
                    seconds(med("setup_decompress_s")), seconds(med("kernel_init_s")), seconds(med("initramfs_s")),
                    seconds(med("agent_s")), fmt::format("{:.1f}", image_mib)});
    report["kernels"].push_back({{"release", kernel.release},
                                 {"entry", plan.entry},
                                 {"qemu_machine", to_string(plan.machine)},
                                 {"qemu_machine_reason", plan.machine_reason},
                                 {"kernel_cmdline", kernel_append(spec)},
                                 {"spec", specs[k].describe()},
                                 {"vmlinuz", kernel.vmlinuz},
                                 {"image_bytes", fs::file_size(image)},
                                 {"boots", boots}});
  }
  write_file_atomically(dir + "/boot-bench.json", report.dump(2) + "\n");
  std::printf("%s", format_columns(rows).c_str());
  std::printf("median seconds over %d boots per kernel, one VM at a time, 1 vCPU, 1024 MiB, %s%s; every boot: %s\n",
              o.boots, to_string(accel.accelerator).c_str(),
              accel.accelerator == Accelerator::Tcg ? " (TCG timings compare only with other TCG timings)" : "",
              (dir + "/boot-bench.json").c_str());
  return 0;
}

}  // namespace kreg
