// kreg bisect's course: both endpoints first (good must be consistent with
// itself, bad must be bad against it), then rounds of steps until the window
// closes, then the confirmation (first bad and last good measured again, and
// for commits the culprit's revert). Everything lands in
// results/<bisect-id>/: bisect.json after every step, bisect.md at the end,
// each step's boots as a kreg run under runs/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/bisect/kernel_sequence.hpp"
#include "harness/compare/compare_command.hpp"
#include "harness/matrix/suite.hpp"

namespace kreg {

struct BisectOptions {
  std::string results_root = "results";
  std::string bisect_id;                 // results/<bisect_id>/
  Suite suite;                           // one job in one cgroup mode (the VM settings with it)
  std::vector<std::string> job_metrics;  // every metric the job produces (its generator's stat reads)
  std::vector<std::string> metrics;      // the chosen ones; empty = all of the job's but timer_overhead
  int tries = 3;
  int confirm_tries = 3;
  int width = 0;     // kernels measured at once; 0 = what suits the host (best_width)
  int parallel = 0;  // VMs at once; 0 = host CPUs / vCPUs per VM
  std::string accel = "auto";
  std::string qemu = "qemu-system-x86_64";
  CompareSettings compare;
  std::vector<std::string> command;  // the command line, for the log
};

struct BisectOutcome {
  int exit_code = 2;    // 0 culprit found and confirmed, 2 undecided or stopped by a check, 130 Ctrl-C
  std::string message;  // one line
  std::string dir;      // results/<bisect-id>
};

// A new bisect when `previous` is null, else continues bisect.json
// `previous` (--resume): finished steps are taken as they are, unfinished
// ones measured (keeping the boots that have a record).
BisectOutcome run_bisect(KernelSequence& sequence, const BisectOptions& options, const nlohmann::json& previous);

// bisect.json's options block, and back (for --resume).
nlohmann::json options_to_json(const BisectOptions& options);
BisectOptions options_from_json(const nlohmann::json& j, const std::string& results_root);

}  // namespace kreg
