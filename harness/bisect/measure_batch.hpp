// Measures kernels side by side: each request is N boots (tries) of one
// kernel running the bisect's one job, stored as an ordinary kreg run in
// results/<bisect-id>/runs/<name>/ (run.json, jobs/, vm/), so kreg compare
// and kreg report read every step as they read any run. Tries that already
// have a record (an interrupted bisect) are kept, not run again.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/matrix/suite.hpp"
#include "harness/matrix/vm_unit_runner.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

struct MeasureRequest {
  std::string run_name;  // runs/<run_name>/
  std::string label;     // the kernel as progress lines name it
  KernelImage kernel;
  std::string spec;  // what it was obtained from, for run.json
  int tries = 3;
};

struct TryResult {
  std::string status = "failed";  // ok | failed | skipped | stopped (the unit's), or kept
  std::string end, reason;
  double wall_s = 0;
  nlohmann::json record;    // the job record, null when the try produced none
  std::string record_path;  // relative to the run directory, "" when none
};

struct MeasureResult {
  std::string run_dir;
  std::vector<TryResult> tries;
  double wall_s = 0;  // this request's first try start to last try end (this session)
  bool stopped = false;
  std::vector<nlohmann::json> records() const;  // one per try, null where none
  std::string first_failure() const;            // "" when every try has a record
};

struct MeasureContext {
  std::string runs_root;  // results/<bisect-id>/runs
  Suite suite;            // one job, one cgroup mode; repetitions come from each request
  UnitEnvironment env;    // store is set per request
  nlohmann::json machine;
  int parallel = 0;  // VMs at once, 0 = host CPUs / vCPUs
  // Live status (try progress) and lines that stay; both may be empty.
  std::function<void(const std::string&, double fraction)> on_status;
  std::function<void(const std::string&)> on_note;
  std::function<void(double wall_s)> on_try_done;  // a try that booted and ended (for an ETA)
};

std::vector<MeasureResult> measure_batch(const std::vector<MeasureRequest>& requests, MeasureContext& context);

// VMs this host runs at once for the context's suite.
int batch_slots(const MeasureContext& context);

}  // namespace kreg
