// Metric names that changed, old -> current, so records written before a
// rename pair with today's: compare and the plots rename on load
// (results/README.md, "Reading older records").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace kreg {

// v1's memory.usage_in_bytes and v2's memory.current hold one quantity; it
// is named by its v2 file in both modes (scenarios/cgroup_files.hpp).
inline constexpr std::pair<const char*, const char*> kRenamedMetrics[] = {
    {"root_memory_usage_in_bytes_read", "root_memory_current_read"},
    {"parent_memory_usage_in_bytes_read", "parent_memory_current_read"},
};

inline std::string current_metric_name(const std::string& name) {
  for (const auto& [old_name, new_name] : kRenamedMetrics)
    if (name == old_name) return new_name;
  return name;
}

// Renames a record's metrics in place: each point's metrics, skipped,
// kernel_trace overhead and Google Benchmark entries, and metric_info.
inline void rename_record_metrics(nlohmann::json& record) {
  auto rename_keys = [](nlohmann::json& object) {
    if (!object.is_object()) return;
    for (const auto& [old_name, new_name] : kRenamedMetrics)
      if (object.contains(old_name)) {
        object[new_name] = std::move(object[old_name]);
        object.erase(old_name);
      }
  };
  if (!record.is_object()) return;
  if (record.contains("metric_info")) rename_keys(record["metric_info"]);
  if (!record.contains("points") || !record["points"].is_array()) return;
  for (auto& point : record["points"]) {
    for (const char* key : {"metrics", "skipped"})
      if (point.contains(key)) rename_keys(point[key]);
    if (point.contains("kernel_trace") && point["kernel_trace"].contains("tracer_overhead_median_ratio"))
      rename_keys(point["kernel_trace"]["tracer_overhead_median_ratio"]);
    if (!point.contains("gbench") || !point["gbench"].contains("benchmarks")) continue;
    for (auto& bm : point["gbench"]["benchmarks"])
      for (const char* field : {"name", "run_name"}) {
        if (!bm.contains(field) || !bm[field].is_string()) continue;
        std::string name = bm[field];
        size_t slash = name.find('/');
        bm[field] = current_metric_name(name.substr(0, slash)) + (slash == std::string::npos ? "" : name.substr(slash));
      }
  }
}

}  // namespace kreg
