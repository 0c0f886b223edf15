#include "harness/cli/catalog_command.hpp"

#include <cstdio>

#include "bench/metric_catalog.hpp"
#include "bench/metric_names.hpp"
#include "harness/store/result_store.hpp"
#include "scenarios/cgroup_files.hpp"
#include "scenarios/generator_table.hpp"

namespace kreg {

nlohmann::json catalog_json() {
  nlohmann::json metrics = nlohmann::json::array(), renamed = nlohmann::json::object(), files = nlohmann::json::array();
  for (const MetricInfo& m : kMetricCatalog)
    metrics.push_back({{"suffix", m.suffix}, {"unit", m.unit}, {"worse", m.worse}, {"what", m.what}});
  for (const auto& [old_name, new_name] : kRenamedMetrics) renamed[old_name] = new_name;
  for (const CgroupFile& f : kCgroupFiles)
    files.push_back({{"v2", f.v2}, {"v1", f.v1 ? nlohmann::json(f.v1) : nullptr}});
  return {{"schema", "kreg.catalog"},
          {"generators", generator_table_json()},
          {"metrics", metrics},
          {"renamed_metrics", renamed},
          {"cgroup_files", files}};
}

int catalog_command(const std::string& output) {
  const std::string text = catalog_json().dump(2) + "\n";
  if (output.empty())
    std::fputs(text.c_str(), stdout);
  else
    write_file_atomically(output, text);
  return 0;
}

}  // namespace kreg
