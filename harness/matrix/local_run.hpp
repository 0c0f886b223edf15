// --local: run jobs on the host kernel (a bare-metal machine under test).
// Everything the jobs create lives under cgroup subtrees named
// kreg-local-<pid> and a private scratch directory; the sweep itself runs in
// a worker process (its own process group), so that on exit, on error and on
// SIGINT/SIGTERM kreg can kill every process the jobs started and remove
// exactly what it created, whatever state the worker was in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

// Runs each job of {"jobs": [...]} and returns their records (same shape as
// the guest's). Cleans up before returning or throwing. Throws KregError with
// exit code 130 when interrupted (what was measured is returned to the
// caller through `partial_records`).
nlohmann::json run_jobs_locally(const nlohmann::json& jobs, nlohmann::json& partial_records);

// Removes kreg-local-<pid> subtrees whose kreg process no longer exists
// (left by a kreg that was SIGKILLed). Called before every local run.
void remove_stale_local_subtrees();

// Removes <mount>/<cgroup_root> in every cgroup hierarchy, killing the
// processes left in it first; returns the directories removed. Exposed for tests.
std::vector<std::string> remove_cgroup_subtrees(const std::string& cgroup_root);

}  // namespace kreg
