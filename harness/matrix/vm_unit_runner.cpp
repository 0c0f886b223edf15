#include "harness/matrix/vm_unit_runner.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/matrix/vm_sizing.hpp"
#include "harness/store/run_file.hpp"
#include "scenarios/generator_table.hpp"
#include "vm/boot/boot_breakdown.hpp"
#include "vm/boot/boot_plan.hpp"
#include "vm/boot/qemu_vm.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

bool needs_scratch_disk(const nlohmann::json& job) {
  return job.value("kind", "sweep") == "speed" || job.value("scratch_disk", false) ||
         job.value("params", nlohmann::json::object()).value("page_cache", "") == "ext4";
}

// A sparse raw file formatted ext4 on the host (mkfs.ext4 from e2fsprogs).
void make_scratch_disk(const std::string& path, int size_mib) {
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw KregError("cannot create scratch disk " + path);
  }
  fs::resize_file(path, static_cast<uintmax_t>(size_mib) << 20);
  CapturedRun mkfs = run_captured({"mkfs.ext4", "-q", "-F", "-L", "kreg-scratch", path});
  if (mkfs.exit_code != 0)
    throw KregError("mkfs.ext4 " + path + " failed: " + mkfs.err.substr(0, mkfs.err.find('\n')) +
                    " (install e2fsprogs with ./setup.sh)");
}

// The one measured count worth a progress line, e.g. "memcg_dying=500":
// what the job's scenario family holds (scenarios/generator_table.hpp).
std::string measured_headline(const nlohmann::json& job, const nlohmann::json& measured) {
  if (job.value("kind", "sweep") == "sweep") {
    const std::string& key =
        scenario_family(generator_info(job.value("scenario", "")), job.value("params", nlohmann::json::object()))
            .held_key;
    if (measured.contains(key)) return key + "=" + measured[key].dump();
  }
  return measured.dump();
}

// Host-side facts merged into every record: what it ran on.
nlohmann::json kernel_facts(const KernelImage& k) {
  nlohmann::json facts = {{"package", k.package},
                          {"package_version", k.package_version},
                          {"image_sha256", k.image_sha256},
                          {"config_sha256", k.config_sha256},
                          {"source", k.source},
                          {"patches", nlohmann::json::array()}};
  // Built from source: what went in, and every toolchain fix kreg applied.
  if (k.build.is_object()) {
    facts["patches"] = k.build.value("patches", nlohmann::json::array());
    facts["build"] = {{"source_id", k.build.value("source_id", "")},
                      {"version", k.build.value("version", "")},
                      {"base_config", k.build.value("base_config", nlohmann::json())},
                      {"fragment_sha256", k.build.value("fragment_sha256", "")},
                      {"config_warnings", k.build.value("config_warnings", nlohmann::json::array())},
                      {"fixes", k.build.value("fixes", nlohmann::json::array())},
                      {"toolchain", k.build.value("toolchain", nlohmann::json())},
                      {"cache_key", k.build.value("cache_key", "")}};
  }
  return facts;
}

// Earlier attempts keep their logs as evidence, but not their boot image
// and scratch disk (tens of MiB each), which a killed kreg could not remove.
void remove_earlier_images(const fs::path& unit_dir, int current) {
  for (int n = 1; n < current; ++n) {
    std::error_code ec;
    fs::path dir = unit_dir / ("attempt-" + std::to_string(n));
    fs::remove(dir / "initramfs.cpio", ec);
    fs::remove(dir / "scratch.img", ec);
  }
}

// QEMU writes ttyS1 into the results directory: on a full filesystem its
// frames are lost without a word, so a VM that ended without its record
// says so when that is why.
std::string results_filesystem_note(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return "";
  const uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  if (free_bytes >= (uint64_t{1} << 20)) return "";
  return fmt::format(" (the results filesystem has {} KiB free: QEMU could not write the VM's streams)",
                     free_bytes >> 10);
}

}  // namespace

int unit_memory_mib(const MatrixUnit& unit, const SuiteVm& vm) {
  if (vm.memory_mib > 0) return vm.memory_mib;
  return estimate_vm_memory_mib({{"jobs", {unit.job}}}, host_memory_limit_mib());
}

UnitOutcome run_unit(const MatrixUnit& unit, const KernelImage& kernel, const UnitEnvironment& env,
                     const std::function<void(const UnitProgress&)>& on_progress,
                     const std::function<void(const VmStarted&)>& on_vm_started) {
  UnitOutcome result;
  // A directory of its own for every attempt: a VM left by a killed kreg
  // can never write into the stream this one is decoded from.
  VmAttempt attempt;
  try {
    attempt = env.store->new_vm_attempt(unit.vm_name);
  } catch (const StoreWriteError& e) {  // this unit's directory only; a full disk stops the run at run.json
    result.end = "setup";
    result.reason = e.what();
    return result;
  }
  result.attempt = attempt.number;
  result.vm_dir = attempt.relative;
  remove_earlier_images(fs::path(attempt.path).parent_path(), attempt.number);
  const std::string vm_dir = attempt.path;
  VmSpec spec;
  spec.qemu_binary = env.qemu;
  // The kernel's ELF through QEMU's PVH entry when it has one (no real-mode
  // setup, no decompressor), on microvm when the kernel can: kreg kernels boot.
  BootPlan plan;
  try {
    plan = plan_boot(kernel, env.accel.accelerator, {env.vm.machine, "auto"});
  } catch (const KregError& e) {
    result.end = "setup";
    result.reason = e.what();
    return result;
  }
  spec.kernel = plan.kernel;
  spec.machine = plan.machine;
  spec.tsc_khz = plan.tsc_khz;
  spec.initrd = vm_dir + "/initramfs.cpio";
  spec.console_log = vm_dir + "/console.log";
  spec.results_log = vm_dir + "/results.serial";
  spec.qemu_log = vm_dir + "/qemu.log";
  spec.accelerator = env.accel.accelerator;
  spec.vcpus = env.vm.vcpus;
  spec.memory_mib = result.memory_mib = unit_memory_mib(unit, env.vm);
  spec.timeout_s = env.vm.timeout_s;
  spec.hello_timeout_s = env.vm.hello_timeout_s;
  spec.extra_append = env.vm.append;
  // cgroup v2 mode: keep every controller off v1 so memory can go to v2.
  if (unit.cgroup_mode == "v2")
    spec.extra_append += std::string(spec.extra_append.empty() ? "" : " ") + "cgroup_no_v1=all";
  spec.stop = env.stop;
  spec.on_start = [&](pid_t pid) {
    if (on_vm_started) on_vm_started({pid, attempt});
  };
  // The image and disk are rebuilt on demand; the logs stay as evidence.
  struct RemoveOnExit {
    const VmSpec& spec;
    ~RemoveOnExit() {
      std::error_code ec;
      fs::remove(spec.initrd, ec);
      if (!spec.disk_image.empty()) fs::remove(spec.disk_image, ec);
    }
  } remove_images{spec};
  const nlohmann::json machine = {{"accelerator", to_string(env.accel.accelerator)},
                                  {"accelerator_reason", env.accel.reason},
                                  {"vcpus", spec.vcpus},
                                  {"memory_mib", spec.memory_mib},
                                  {"kernel_entry", plan.entry},
                                  {"qemu_machine", to_string(plan.machine)},
                                  {"qemu_machine_reason", plan.machine_reason},
                                  {"tsc_khz", plan.tsc_khz},
                                  {"kernel_cmdline", kernel_append(spec)},
                                  {"qemu", env.qemu_version},
                                  {"host_cpus", std::thread::hardware_concurrency()}};
  nlohmann::json guest_jobs = {{"jobs", {unit.job}}, {"scratch_disk", needs_scratch_disk(unit.job)}};
  try {
    std::vector<KernelModule> modules;
    if (needs_scratch_disk(unit.job)) {
      // Kernels with virtio-blk built in (7.x) need no module; the guest
      // checks for /kreg/modules.order.
      if (!kernel.modules_dir.empty()) modules = module_closure(kernel.modules_dir, scratch_disk_modules(spec.machine));
      spec.disk_image = vm_dir + "/scratch.img";
      make_scratch_disk(spec.disk_image, env.vm.disk_mib);
    }
    build_guest_image(spec.initrd, env.guest, guest_jobs, modules);
  } catch (const KregError& e) {
    result.end = "setup";
    result.reason = e.what();
    return result;
  }

  bool stored = false;
  std::string record_status, record_reason;
  VmOutcome outcome = run_vm(spec, [&](const Frame& frame, const VmOutcome& so_far) {
    nlohmann::json payload = nlohmann::json::parse(frame.payload, nullptr, false);
    if (payload.is_discarded()) return;  // checksummed but not JSON: a guest bug, ignored
    if (frame.type == "hello") {
      result.guest_kernel = payload.value("kernel", nlohmann::json());
      result.features = payload.value("features", nlohmann::json());
      result.boot = boot_breakdown(so_far.boot_to_hello_s, payload.value("boot", nlohmann::json()));
      on_progress({0, "guest " + result.guest_kernel.value("release", "?") + " up", false});
    } else if (frame.type == "progress") {
      UnitProgress p;
      size_t points = payload.value("points", size_t{0});
      if (points > 0) p.fraction = (payload.value("point", 0.0) + 1) / static_cast<double>(points);
      p.point_done = payload.value("point_done", false);
      p.line = fmt::format("{} objects (target {})", payload.value("created", 0), payload.value("target", 0));
      if (p.point_done)
        p.line += " -> " + measured_headline(unit.job, payload.value("measured", nlohmann::json::object()));
      on_progress(p);
    } else if (frame.type == "job") {
      nlohmann::json record = payload;
      stamp_job_record(record, env.run_id);
      record["kernel"].update(kernel_facts(kernel));
      record["kernel"]["spec"] = kernel.source;
      record["machine"] = machine;
      record["unit"] = {{"unit_id", unit.unit_id},       {"cgroup_mode", unit.cgroup_mode},
                        {"repetition", unit.repetition}, {"kernel_label", unit.kernel_label},
                        {"attempt", attempt.number},     {"vm_dir", attempt.relative}};
      result.job_s = record.value("job_s", 0.0);
      record["timing"] = {{"boot_to_hello_s", so_far.boot_to_hello_s}, {"job_s", result.job_s}, {"boot", result.boot}};
      // A stalled boot before this one (a QEMU TCG livelock, qemu_vm.hpp):
      // the measurement ran in a fresh VM, but the record says so.
      if (so_far.boots > 1) record["timing"]["boots"] = so_far.boots;
      env.store->write_record(unit.record_path, record);
      stored = true;
      record_status = record.value("status", "failed");
      record_reason =
          record.value("skip_reason", record["error"].is_object() ? record["error"].value("message", "") : "");
    } else if (frame.type == "error") {
      result.reason = "guest error: " + payload.value("error", "");
    }
  });
  result.end = to_string(outcome.end);
  result.wall_s = outcome.wall_s;
  result.boots = outcome.boots;
  result.stalled_boot_tail = outcome.stalled_boot_tail;
  result.stalled_console_log = outcome.stalled_console_log;
  result.boot_to_hello_s = outcome.boot_to_hello_s;
  if (outcome.done_s >= 0) result.teardown_s = outcome.wall_s - outcome.done_s;
  // A record that arrived whole (its own CRC-32 verified) before a later
  // frame was rejected stands; the rejection is kept as its note.
  const bool record_then_corrupt = outcome.end == VmEnd::CorruptFrame && stored;
  if (outcome.end == VmEnd::Stopped) {
    result.status = "stopped";
    result.reason = outcome.reason;
  } else if (outcome.end != VmEnd::Done && !record_then_corrupt) {
    result.reason = outcome.reason;
    result.console_tail = outcome.console_tail;
    if (!stored) result.reason += results_filesystem_note(vm_dir);
  } else if (!stored) {
    if (result.reason.empty()) result.reason = "the guest finished without sending the job's record";
  } else {
    // The guest's verdict: ok, or failed with its own reason in the record.
    // skipped: the kernel lacks what the job needs; the record says why.
    result.status = record_status == "ok" || record_status == "skipped" ? record_status : "failed";
    if (result.status != "ok") result.reason = record_status + ": " + record_reason;
    if (record_then_corrupt) result.reason += (result.reason.empty() ? "after the record: " : "; ") + outcome.reason;
  }
  // A job that failed inside a VM that ended normally: the OOM killer may
  // have taken its worker. Say so, with the console as evidence.
  if (result.status == "failed" && result.console_tail.empty()) {
    std::string tail = file_tail(spec.console_log, 40);
    size_t oom = tail.find("Out of memory: Killed process");
    if (oom == std::string::npos) oom = tail.find("invoked oom-killer");
    if (oom != std::string::npos) {
      std::string line = tail.substr(oom, tail.find('\n', oom) - oom);
      result.reason +=
          " (the guest's OOM killer fired: " + line + "; give the VM more memory with --memory or [vm] memory_mib)";
      result.end = "oom";
    }
    result.console_tail = file_tail(spec.console_log, 25);
  }
  return result;
}

}  // namespace kreg
