// Runs the Google Benchmark binary kreg-statbench (in the guest, or beside
// kreg with --local) and turns its JSON into kreg's latency distributions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>
#include "scenarios/generator.hpp"

namespace kreg {

struct StatReadRequest {
  std::string binary = "/kreg/bin/kreg-statbench";     // where the benchmark binary is
  std::vector<StatRead> files;                         // metric, path, op
  nlohmann::json counters = nlohmann::json::object();  // numbers attached to the gbench JSON
  int samples = 200;
  int warmup = 10;
};

struct StatReadResult {
  nlohmann::json metrics = nlohmann::json::object();  // name -> {min_ns, median_ns, ...}
  nlohmann::json skipped = nlohmann::json::object();  // name -> reason
  nlohmann::json gbench;                              // Google Benchmark's JSON as produced
};

// Throws std::runtime_error if the binary cannot run or prints no JSON.
StatReadResult run_stat_bench(const StatReadRequest& request);

// Google Benchmark's JSON reporter prints NaN and Infinity as bare words
// (e.g. a coefficient of variation over a zero mean), which is not JSON.
// Outside strings they become null; everything else is left as printed.
std::string sanitize_gbench_json(const std::string& text);

// Pure conversion of Google Benchmark JSON (aggregates min/median/p90/p99/max/mean)
// into kreg metrics; exposed for unit tests.
StatReadResult distributions_from_gbench(const nlohmann::json& gbench);

}  // namespace kreg
