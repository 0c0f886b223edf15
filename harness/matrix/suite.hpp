// A suite: one TOML file in suites/ naming the kernels under test, the
// cgroup modes, the VM size and the jobs (scenario sweeps, speed runs).
// Parsed strictly with toml++: an unknown key or a wrong type is an error
// naming the file, the line and the key, before anything slow starts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vm/kernels/kernel_spec.hpp"

namespace kreg {

struct SuiteVm {
  int vcpus = 2;
  int memory_mib = 0;       // 0 = sized per job (harness/vm_sizing.hpp)
  int disk_mib = 2048;      // ext4 scratch disk, for jobs with page cache on ext4
  double timeout_s = 1800;  // per VM (one VM per job and kernel)
  double hello_timeout_s = 120;
  int parallel = 0;    // VMs at once; 0 = as many as host cores and memory allow
  std::string append;  // extra guest kernel command line
  // QEMU machine: "auto" (microvm when the kernel can, else pc), "pc" or
  // "microvm" (boot_plan.hpp). "pc" keeps timings comparable with runs
  // made before kreg chose microvm.
  std::string machine = "auto";
};

struct Suite {
  std::string name;
  std::string path;  // the file it came from
  std::string text;  // its contents, kept in the run directory for --resume
  std::string description;
  // Kernel specs (obtain_kernel). In the file, each is a spec string or an
  // inline table { spec = "...", patches = [...], config = "...", label = "..." }
  // whose patch and config paths are relative to the suite file.
  std::vector<KernelSpec> kernels;
  std::vector<std::string> cgroup_modes;  // "v1", "v2"
  int repetitions = 1;                    // fresh VMs per (kernel, job, mode)
  SuiteVm vm;
  // Each job as the guest reads it (job_id, scenario/kind, params, targets,
  // samples, ...), plus "cgroup_modes" when the job narrows the suite's.
  std::vector<nlohmann::json> jobs;
};

// Resolves a suite argument: a path (contains '/' or ends in .toml), else a
// name looked up as <dir>/<name>.toml in $KREG_SUITES_DIR, the suites/
// beside the kreg binary's source tree, and ./suites. Throws KregError
// listing the suites found when the name is unknown.
std::string find_suite_file(const std::string& name_or_path);

// Parses and validates. Throws KregError "FILE:LINE: ..." naming the key.
Suite load_suite(const std::string& name_or_path);
Suite parse_suite(const std::string& text, const std::string& path);

// The effective suite (after command-line overrides) as stored in run.json,
// so --resume re-runs exactly what the run planned.
nlohmann::json suite_to_json(const Suite& suite);
Suite suite_from_json(const nlohmann::json& j);

// Jobs whose results depend on the cgroup hierarchy run once per mode; the
// others (netns, dentry-negative) once per kernel.
bool job_uses_cgroups(const nlohmann::json& job);

}  // namespace kreg
