// Runs a planned matrix: every unit without a record, side by side
// (matrix_scheduler), each in its own VM (vm_unit_runner), with run.json
// updated as units start and end and progress on the terminal. Shared by
// `kreg run SUITE`, `--resume` and `--plan --shard`.
#pragma once

#include <signal.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness/matrix/suite.hpp"
#include "harness/matrix/vm_unit_runner.hpp"
#include "harness/store/result_store.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

// Set by the first Ctrl-C (or SIGTERM) while a StopOnSignal lives; VMs
// watch it through VmSpec::stop.
const std::atomic<bool>& stop_requested();
void request_stop(int signal);
void reset_stop_request();

// First Ctrl-C: stop cleanly (running VMs are killed, finished records
// stay, run.json says "stopped"). SA_RESETHAND: a second Ctrl-C kills kreg.
class StopOnSignal {
 public:
  StopOnSignal() {
    reset_stop_request();
    struct sigaction sa {};
    sa.sa_handler = request_stop;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopOnSignal() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

// The label a kernel's units and records go under: its release, else the image's file name.
std::string kernel_label(const KernelImage& k);

struct RunState {
  nlohmann::json run;
  ResultStore* store;
  std::mutex mutex;
  void save() { store->write_run(run); }
};

// Runs every unit without a record (of `only`, when given: a plan's shard).
// Returns the exit code: 0 all ok, 2 a unit failed, 130 stopped.
int execute_units(RunState& state, const Suite& suite, const std::vector<KernelImage>& kernels, UnitEnvironment env,
                  int parallel_override, const std::set<std::string>* only = nullptr);

}  // namespace kreg
