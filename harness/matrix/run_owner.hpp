// Who runs a run, and what a dead owner left running. run.json records the
// owning kreg ("owner") and, while a unit's VM runs, its QEMU ("qemu" in the
// unit), each as PID + start time + boot id, so a later kreg can tell them
// from unrelated processes that reused the PIDs. The run's lock
// (harness/store/run_lock.hpp) decides who may own it.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/result_store.hpp"
#include "vm/common/process_identity.hpp"

namespace kreg {

nlohmann::json process_json(const ProcessIdentity& p);  // {"pid", "start_time", "boot_id"}
ProcessIdentity process_from_json(const nlohmann::json& j);
nlohmann::json owner_json();  // this kreg, plus "host"

// PIDs of the QEMUs recorded in `run`'s units that still run here.
std::vector<pid_t> live_recorded_vms(const nlohmann::json& run);

// Opens an existing run (resume, or a shard run again) as its one owner.
// Another live owner is a one-line KregError naming its PID and its VMs'.
ResultStore open_run_as_owner(const std::string& results_root, const std::string& run_id, bool link_latest = true);

// Kills the QEMUs that a dead owner of `run` left running, before anything
// else of the run starts, and returns their PIDs. A recorded QEMU is killed
// only if it is that very process (same PID, start time and boot) and its
// command line names the unit's attempt directory.
std::vector<pid_t> kill_leftover_vms(const nlohmann::json& run);

}  // namespace kreg
