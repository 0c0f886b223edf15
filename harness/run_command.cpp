#include "harness/run_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/builtin_jobs.hpp"
#include "harness/error.hpp"
#include "harness/progress.hpp"
#include "harness/result_store.hpp"
#include "harness/run_local_command.hpp"
#include "harness/vm_sizing.hpp"
#include "vm/accelerator.hpp"
#include "vm/guest_image.hpp"
#include "vm/kernel_fetch.hpp"
#include "vm/process.hpp"
#include "vm/qemu_vm.hpp"

namespace kreg {

namespace {

std::string qemu_version(const std::string& qemu) {
  CapturedRun v = run_captured({qemu, "--version"});
  return v.out.substr(0, v.out.find('\n'));
}

// Host-side facts merged into every guest record: what it ran on.
nlohmann::json host_context(const KernelImage& kernel, const AcceleratorChoice& accel, const VmSpec& spec,
                            const std::string& qemu_version_line) {
  return {{"kernel",
           {{"package", kernel.package},
            {"package_version", kernel.package_version},
            {"image_sha256", kernel.image_sha256},
            {"config_sha256", kernel.config_sha256},
            {"source", kernel.source}}},
          {"machine",
           {{"accelerator", to_string(accel.accelerator)},
            {"accelerator_reason", accel.reason},
            {"vcpus", spec.vcpus},
            {"memory_mib", spec.memory_mib},
            {"qemu", qemu_version_line},
            {"host_cpus", std::thread::hardware_concurrency()}}}};
}

// A sparse raw file formatted ext4 on the host (mkfs.ext4 from e2fsprogs).
void make_scratch_disk(const std::string& path, int size_mib) {
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw KregError("cannot create scratch disk " + path);
  }
  std::filesystem::resize_file(path, static_cast<uintmax_t>(size_mib) << 20);
  CapturedRun mkfs = run_captured({"mkfs.ext4", "-q", "-F", "-L", "kreg-scratch", path});
  if (mkfs.exit_code != 0)
    throw KregError("mkfs.ext4 " + path + " failed: " + mkfs.err.substr(0, mkfs.err.find('\n')) +
                    " (install e2fsprogs with ./setup.sh)");
}

// The one measured count worth a progress line, e.g. "memcg_dying=500".
std::string measured_headline(const nlohmann::json& measured) {
  for (const char* key : {"memcg_dying", "netns_live", "pods_live", "dentry_nr_negative", "slab_net_namespace_active_objs"})
    if (measured.contains(key)) return std::string(key) + "=" + measured[key].dump();
  return measured.dump();
}

std::string g_last_run_dir;

}  // namespace

std::string last_run_dir() { return g_last_run_dir; }

int run_command(const RunOptions& options) {
  Progress progress;
  nlohmann::json jobs = builtin_jobs(options);  // validates overrides before any slow work
  if (options.local) {
    std::string run_id = options.run_id.empty() ? make_run_id(options.suite + "-local") : options.run_id;
    check_run_id_free(options.results_root, run_id);
    return run_local_command(options, jobs, run_id, g_last_run_dir);
  }
  if (options.vcpus < 1 || (options.memory_mib != 0 && options.memory_mib < 128))
    throw KregError("--vcpus must be >= 1 and --memory >= 128 MiB");
  auto qemu = find_program(options.qemu);
  if (!qemu) throw KregError("QEMU binary '" + options.qemu + "' not found (run ./setup.sh to install qemu-system-x86, or pass --qemu PATH)");
  GuestBinaries guest = locate_guest_binaries();
  std::string run_id = options.run_id.empty() ? make_run_id(options.suite) : options.run_id;
  check_run_id_free(options.results_root, run_id);
  std::string cache_dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;

  progress.status("kreg: obtaining kernel " + (options.kernel.empty() ? std::string("(newest Debian 6.1 cloud)") : options.kernel));
  KernelImage kernel = obtain_kernel(options.kernel, cache_dir);
  progress.note(fmt::format("kreg: kernel {} {} ({})", kernel.package.empty() ? kernel.vmlinuz : kernel.package,
                            kernel.package_version, kernel.vmlinuz));
  AcceleratorChoice accel = choose_accelerator(options.accel, *qemu);
  progress.note("kreg: accelerator " + to_string(accel.accelerator) + ": " + accel.reason);

  ResultStore store(options.results_root, run_id);
  g_last_run_dir = store.dir();
  std::string vm_name = kernel.release.empty() ? "kernel" : kernel.release;
  std::string vm_dir = store.vm_dir(vm_name);

  VmSpec spec;
  spec.qemu_binary = *qemu;
  spec.kernel = kernel.vmlinuz;
  spec.initrd = vm_dir + "/initramfs.cpio";
  spec.console_log = vm_dir + "/console.log";
  spec.results_log = vm_dir + "/results.serial";
  spec.qemu_log = vm_dir + "/qemu.log";
  spec.accelerator = accel.accelerator;
  spec.vcpus = options.vcpus;
  spec.memory_mib = options.memory_mib > 0 ? options.memory_mib : estimate_vm_memory_mib(jobs, host_memory_limit_mib());
  spec.timeout_s = options.timeout_s;
  spec.hello_timeout_s = options.hello_timeout_s;
  spec.extra_append = options.append;
  nlohmann::json context = host_context(kernel, accel, spec, qemu_version(*qemu));

  nlohmann::json run = {{"schema", "kreg.run"}, {"schema_version", 1}, {"run_id", run_id},
                        {"suite", options.suite}, {"jobs", jobs["jobs"]}, {"kernel", to_json(kernel)},
                        {"machine", context["machine"]}, {"status", "running"},
                        {"failures", nlohmann::json::array()}};
  store.write_run(run);
  try {
    std::vector<KernelModule> modules;
    if (jobs.value("scratch_disk", false)) {
      if (kernel.modules_dir.empty())
        throw KregError("jobs need the ext4 scratch disk, but kernel " + kernel.vmlinuz +
                        " came without modules (pass its linux-image .deb)");
      modules = module_closure(kernel.modules_dir, {"virtio_pci", "virtio_blk"});
      spec.disk_image = vm_dir + "/scratch.img";
      make_scratch_disk(spec.disk_image, options.disk_mib);
    }
    build_guest_image(spec.initrd, guest, jobs, modules);
  } catch (const KregError& e) {
    run["status"] = "failed";
    run["failures"].push_back({{"vm", vm_name}, {"reason", e.what()}});
    store.write_run(run);
    throw;
  }

  const size_t total_jobs = jobs["jobs"].size();
  size_t stored = 0;
  nlohmann::json hello;
  VmOutcome outcome = run_vm(spec, [&](const Frame& frame, const VmOutcome& so_far) {
    nlohmann::json payload = nlohmann::json::parse(frame.payload, nullptr, false);
    if (payload.is_discarded()) return;  // checksummed but not JSON: a guest bug, ignored
    if (frame.type == "hello") {
      hello = payload;
      progress.note("kreg: guest " + payload["kernel"].value("release", "?") + " up");
    } else if (frame.type == "progress") {
      double fraction = 0;
      size_t points = payload.value("points", size_t{0});
      if (points > 0) fraction = (payload.value("point", 0.0) + 1) / static_cast<double>(points);
      std::string line = fmt::format("job {}/{} {} on {}: {} objects (target {}) {}", stored + 1, total_jobs,
                                     payload.value("job_id", ""), vm_name, payload.value("created", 0),
                                     payload.value("target", 0),
                                     progress.eta((static_cast<double>(stored) + fraction) / total_jobs));
      if (payload.value("point_done", false))
        progress.note(line + " -> " + measured_headline(payload.value("measured", nlohmann::json::object())));
      else
        progress.status(line);
    } else if (frame.type == "job") {
      nlohmann::json record = payload;
      record["schema"] = "kreg.job";
      record["schema_version"] = 1;
      record["run_id"] = run_id;
      record["kernel"].update(context["kernel"]);
      record["machine"] = context["machine"];
      record["timing"] = {{"boot_to_hello_s", so_far.boot_to_hello_s}, {"job_s", record.value("job_s", 0.0)}};
      store.write_job(record.value("job_id", "unknown"), record);
      ++stored;
      progress.note(fmt::format("kreg: job {}/{} {} {} -> {}/jobs/{}", stored, total_jobs,
                                record.value("job_id", ""), record.value("status", ""), store.dir(),
                                job_file_name(record.value("job_id", "unknown"))));
    } else if (frame.type == "error") {
      progress.note("kreg: guest error: " + payload.value("error", ""));
    }
  });

  run["vm"] = {{"end", to_string(outcome.end)}, {"reason", outcome.reason},
               {"boot_to_hello_s", outcome.boot_to_hello_s}, {"wall_s", outcome.wall_s},
               {"frames", outcome.frames}, {"corrupt_frames", outcome.corrupt_frames}};
  if (!hello.is_null()) run["guest_kernel"] = hello["kernel"];
  run["status"] = (outcome.end == VmEnd::Done && stored == total_jobs) ? "ok" : "failed";
  if (outcome.end != VmEnd::Done)
    run["failures"].push_back({{"vm", vm_name}, {"reason", outcome.reason}, {"console_tail", outcome.console_tail}});
  store.write_run(run);

  progress.note(fmt::format("kreg: VM {} in {:.1f} s (boot to hello {:.1f} s), {} of {} jobs stored in {}",
                            to_string(outcome.end), outcome.wall_s, outcome.boot_to_hello_s, stored, total_jobs,
                            store.dir()));
  if (outcome.corrupt_frames > 0)
    progress.note(fmt::format("kreg: warning: {} corrupt frames dropped", outcome.corrupt_frames));
  if (outcome.end != VmEnd::Done) {
    std::fprintf(stderr, "%s", outcome.console_tail.c_str());
    throw KregError("VM " + vm_name + " failed: " + outcome.reason + " (console: " + spec.console_log + ")");
  }
  if (stored != total_jobs) throw KregError(fmt::format("only {} of {} job records arrived", stored, total_jobs));
  return 0;
}

}  // namespace kreg
