// run.json, what a run is and how it went, and the stamp on every job record.
// One writer of the run header for every kind of run (a suite on VMs, a
// plan's shard, a merge, --local), under one schema version
// (results/README.md documents both).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

inline constexpr int kRunSchemaVersion = 2;
inline constexpr int kJobSchemaVersion = 1;

struct RunHeader {
  std::string run_id;
  std::string suite;               // its name
  nlohmann::json suite_effective;  // the suite with the command line's overrides
  nlohmann::json kernels;          // [{spec, label, kernel}]
  nlohmann::json machine;          // accelerator, vCPUs, QEMU, host CPUs
};

// {"schema": "kreg.run", "schema_version": 2, run_id, suite, suite_effective,
//  kernels, machine, "status": "running", "failures": [], "resumed": []}.
// Callers add what their kind of run has (units, shard, plan, local).
nlohmann::json new_run_json(const RunHeader& header);

// Marks a job record as kreg's: schema, version and the run it belongs to.
void stamp_job_record(nlohmann::json& record, const std::string& run_id);

}  // namespace kreg
