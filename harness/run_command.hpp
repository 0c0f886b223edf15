// `kreg run`: boot the kernel under test in QEMU, run the jobs, store the
// records under results/<run-id>/.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kreg {

struct RunOptions {
  std::string suite = "default";  // built-in job set: "default" or "smoke"
  std::string kernel;             // "" = newest Debian 6.1 cloud kernel via apt
  std::string results_root = "results";
  std::string run_id;             // "" = timestamp-suite
  std::string accel = "auto";
  std::string qemu = "qemu-system-x86_64";
  std::string cache_dir;          // "" = default_cache_dir()
  std::string append;             // extra kernel command line, e.g. "cgroup.memory=nokmem"
  // Overrides of the suite's sweep; empty/zero = the suite's value.
  std::vector<int64_t> targets;
  int64_t page_cache_bytes = -1;
  int samples = 0;
  int vcpus = 2;
  int memory_mib = 0;             // 0 = sized from the jobs (harness/vm_sizing.hpp)
  int disk_mib = 2048;            // ext4 scratch disk, when a job asks for page cache on ext4
  double timeout_s = 1800;
  double hello_timeout_s = 120;
  bool local = false;             // run on the host kernel instead of a VM
  nlohmann::json jobs;            // explicit {"jobs": [...]} (kreg scenario); null = the suite's
};

// Returns the process exit code: 0 when every job finished, 2 when a VM
// failed or a job could not run (results already written stay).
int run_command(const RunOptions& options);

// The directory of the last run_command (for callers that print its records).
std::string last_run_dir();

}  // namespace kreg
