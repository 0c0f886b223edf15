// What every figure kreg records means: its unit and which direction is
// worse, in one small table (mmtests' per-benchmark contract), so compare and
// report can treat all metrics alike.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

struct MetricInfo {
  const char* suffix;  // a metric name ending in this (or equal to it) is described here
  const char* unit;
  const char* worse;  // "higher" or "lower"
  const char* what;
};

inline constexpr MetricInfo kMetricCatalog[] = {
    {"timer_overhead", "ns", "higher", "an empty timed sample: the timer's own cost, to subtract mentally"},
    {"_read", "ns", "higher", "open, read to EOF in 64 KiB chunks, close of a stat file (what kubelet/cAdvisor do)"},
    {"_open", "ns", "higher", "open + close of a path: the path walk (__d_lookup, proc_sys_compare)"},
    {"_stat", "ns", "higher", "stat() of a path: the path walk without a file"},
    {"_lookup", "ns", "higher", "stat() of an absent name: a negative-dentry lookup"},
    {"ops_per_s", "objects/s", "lower", "how fast the generator made objects in a step"},
    {"_bytes", "bytes", "higher", "kernel memory per object (meminfo delta / objects)"},
};

// {"unit", "worse", "what"} for a metric name, or null if the catalog has none.
inline nlohmann::json metric_info(const std::string& name) {
  for (const MetricInfo& m : kMetricCatalog) {
    std::string suffix = m.suffix;
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return {{"unit", m.unit}, {"worse", m.worse}, {"what", m.what}};
  }
  return nullptr;
}

}  // namespace kreg
