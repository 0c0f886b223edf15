// What every kind of VM run (new, resumed, one shard of a plan) sets up the
// same way: QEMU and the guest binaries checked before any download, the
// accelerator, the machine record, and what a dead owner left running.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/cli/run_command.hpp"
#include "harness/matrix/vm_unit_runner.hpp"

namespace kreg {

class ResultStore;

// The QEMU binary and the guest binaries, checked before any download so a
// half-built kreg or a missing QEMU never costs a kernel fetch.
std::string check_vm_tools(const RunOptions& options);

// Everything a run shares: QEMU, accelerator, guest binaries.
UnitEnvironment make_environment(const RunOptions& options, const Suite& suite, const std::string& run_id,
                                 ResultStore* store);

// run.json's "machine": what the measurement ran on.
nlohmann::json machine_json(const UnitEnvironment& env, const Suite& suite);

// Before anything else of a run starts again: QEMUs that a dead owner left
// running are killed (today's kreg takes its QEMUs down with it; an older
// one, or one whose QEMU escaped, may not have).
void kill_leftovers(const nlohmann::json& run);

// kreg run --plan P --shard I (run_shard.cpp).
RunResult run_shard(const RunOptions& options);

}  // namespace kreg
