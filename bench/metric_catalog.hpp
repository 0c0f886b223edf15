// What every figure kreg records means: its unit, which direction is worse
// and whether it is judged at all, in one small table (mmtests' per-benchmark
// contract), so compare, findings and report can treat all metrics alike.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

struct MetricInfo {
  const char* suffix;  // a metric name ending in this (or equal to it) is described here
  const char* unit;
  const char* worse;  // "higher" or "lower"
  const char* what;
  // A calibration figure describes the measuring instrument, not the kernel
  // (the timer's own cost): recorded and shown, never judged by compare or
  // turned into a finding. Under TCG it moves with the host's load.
  bool calibration = false;
};

inline constexpr MetricInfo kMetricCatalog[] = {
    {"timer_overhead", "ns", "higher", "an empty timed sample: the timer's own cost, to subtract mentally", true},
    {"_read", "ns", "higher", "open, read to EOF in 64 KiB chunks, close of a stat file (what kubelet/cAdvisor do)"},
    {"_open", "ns", "higher", "open + close of a path: the path walk (__d_lookup, proc_sys_compare)"},
    {"_stat", "ns", "higher", "stat() of a path: the path walk without a file"},
    {"_lookup", "ns", "higher", "stat() of an absent name: a negative-dentry lookup"},
    {"ops_per_s", "objects/s", "lower", "how fast the generator made objects in a step"},
    {"_bytes", "bytes", "higher", "kernel memory per object (meminfo delta / objects)"},
};

inline const MetricInfo* find_metric_info(const std::string& name) {
  for (const MetricInfo& m : kMetricCatalog) {
    std::string suffix = m.suffix;
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return &m;
  }
  return nullptr;
}

// {"unit", "worse", "what"[, "calibration": true]} for a metric name, or null if the catalog has none.
inline nlohmann::json metric_info(const std::string& name) {
  const MetricInfo* m = find_metric_info(name);
  if (!m) return nullptr;
  nlohmann::json info = {{"unit", m->unit}, {"worse", m->worse}, {"what", m->what}};
  if (m->calibration) info["calibration"] = true;
  return info;
}

// True for a figure of the instrument (timer_overhead), judged by nothing.
// Decided by the catalog, not by a record's copy of it: records made before
// the flag existed carry no "calibration" key.
inline bool is_calibration_metric(const std::string& name) {
  const MetricInfo* m = find_metric_info(name);
  return m && m->calibration;
}

}  // namespace kreg
