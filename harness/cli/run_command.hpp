// `kreg run SUITE`: the suite's jobs on every kernel under test, one VM per
// (kernel, job, cgroup mode, repetition), side by side, records stored as
// they arrive under results/<run-id>/; --resume re-runs only what is missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/matrix/suite.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

struct RunOptions {
  std::string suite = "default";          // a name in suites/ or a path to a .toml
  std::vector<std::string> kernels;       // replace the suite's kernels (repeatable --kernel)
  std::vector<std::string> cgroup_modes;  // replace the suite's cgroup modes
  std::string resume;                     // run id to complete
  std::string results_root = "results";
  std::string run_id;  // "" = timestamp-suite
  std::string accel = "auto";
  std::string qemu = "qemu-system-x86_64";
  std::string cache_dir;  // "" = default_cache_dir()
  std::string append;     // extra kernel command line, e.g. "cgroup.memory=nokmem"
  // Overrides of the suite's values; empty/zero/negative = the suite's.
  std::vector<int64_t> targets;
  int64_t page_cache_bytes = -1;
  int samples = 0;
  int vcpus = 0;
  int memory_mib = 0;
  int parallel = 0;
  double timeout_s = 0;
  double hello_timeout_s = 0;
  bool local = false;                 // run on the host kernel instead of VMs
  std::optional<Suite> inline_suite;  // built by `kreg scenario` instead of a file
  std::string plan;                   // kreg run --plan P --shard I: one shard of a plan (harness/plan_file.hpp)
  int shard = -1;
};

// exit_code: 0 when every unit finished ok, 2 when a VM or a job failed
// (results already written stay), 130 when stopped by Ctrl-C (finished units
// stay; --resume completes the run). run_dir: where the records went.
struct RunResult {
  int exit_code = 0;
  std::string run_dir;
};
RunResult run_command(const RunOptions& options);

// The suite with the command line's overrides applied, every sweep job
// checked (scenario, parameters, targets): one-line KregError before
// anything slow. Used by run, scenario and plan alike.
Suite apply_overrides(Suite suite, const RunOptions& options);
void check_suite_jobs(const Suite& suite);

// Obtains every kernel of the suite (run.json's "kernels": spec, label, kernel),
// refusing the same image twice. Shared by kreg run and kreg plan.
struct ResolvedKernels {
  std::vector<KernelImage> images;
  nlohmann::json json = nlohmann::json::array();
};
ResolvedKernels resolve_suite_kernels(const Suite& suite, const std::string& cache_dir);

}  // namespace kreg
