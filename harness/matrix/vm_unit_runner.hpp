// One matrix unit in one VM: write its guest image, boot, store the record
// the moment it arrives, and say exactly how the VM ended. A VM that hangs,
// panics or runs out of memory ends as a failed unit with its console tail;
// it never throws past the caller, so the rest of the matrix goes on.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/suite.hpp"
#include "harness/store/result_store.hpp"
#include "vm/boot/accelerator.hpp"
#include "vm/boot/guest_image.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

// What every unit of a run shares.
struct UnitEnvironment {
  std::string qemu;          // resolved binary
  std::string qemu_version;  // first line of --version
  AcceleratorChoice accel;
  GuestBinaries guest;
  SuiteVm vm;
  std::string run_id;
  ResultStore* store = nullptr;  // thread-safe for distinct record paths
  const std::atomic<bool>* stop = nullptr;
  std::string unit_times_path;  // what units took here before (unit_times.hpp); "" = plan order
};

struct UnitProgress {
  double fraction = 0;  // of this unit's points
  std::string line;     // "412 objects (target 500)"
  bool point_done = false;
};

struct UnitOutcome {
  int attempt = 0;                // the VM attempt (vm/<kernel>/<job>/attempt-<n>/)
  std::string vm_dir;             // "vm/<kernel>/<job>/attempt-<n>"
  std::string status = "failed";  // ok | failed | stopped
  std::string end;                // VmEnd as text, or "setup"
  std::string reason;
  std::string console_tail;
  double wall_s = 0;
  double boot_to_hello_s = -1;  // of the boot that said hello
  int boots = 1;                // more than 1: earlier boots stalled before hello (VmSpec::boot_attempts)
  std::string stalled_boot_tail, stalled_console_log;  // VmOutcome's
  nlohmann::json boot;                                 // boot_breakdown() of this VM (vm/boot/boot_breakdown.hpp)
  double job_s = -1;                                   // the guest's time inside the job (generate, measure, clean up)
  double teardown_s = -1;                              // the guest's "done" to QEMU's exit
  int memory_mib = 0;
  nlohmann::json guest_kernel;  // from the hello frame
  nlohmann::json features;      // the guest's feature probe
};

// Guest memory for a unit: the suite's, or sized from the job.
int unit_memory_mib(const MatrixUnit& unit, const SuiteVm& vm);

// QEMU of one attempt is running (for run.json, so a later kreg can find it).
struct VmStarted {
  pid_t pid = 0;
  VmAttempt attempt;
};

// Throws StoreWriteError when the results directory cannot take the
// record (the VM is killed first); every other failure, the attempt's
// directory included, ends up in the outcome.
UnitOutcome run_unit(const MatrixUnit& unit, const KernelImage& kernel, const UnitEnvironment& env,
                     const std::function<void(const UnitProgress&)>& on_progress,
                     const std::function<void(const VmStarted&)>& on_vm_started = {});

}  // namespace kreg
