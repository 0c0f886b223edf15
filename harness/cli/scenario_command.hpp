// `kreg scenario NAME`: one generator, run to a count (or through a sweep),
// in a VM or with --local on the host; prints the record's summary as JSON
// (before/after kernel counters, objects made, ops/s, kernel memory per object).
#pragma once

#include <string>
#include <vector>

#include "harness/cli/run_command.hpp"

namespace kreg {

struct ScenarioOptions {
  std::string name;
  std::vector<std::string> params;  // "key=value"; value parsed as JSON when it is JSON, else a string
  std::vector<int64_t> targets;     // default: {count}
  int64_t count = 1000;
  bool latency = false;       // also time the scenario's stat files at each point
  bool kernel_trace = false;  // with --latency: a traced pass for kernel time per call
  bool reclaim = false;       // after the last point, time reclaim and count what it freed
};

int scenario_command(const ScenarioOptions& scenario, RunOptions run);

// "keep=5" -> {"keep": 5}; "mode=live" -> {"mode": "live"}; exposed for tests.
nlohmann::json parse_params(const std::vector<std::string>& params);

}  // namespace kreg
