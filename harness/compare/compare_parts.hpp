// What the parts of kreg compare (compare_load, compare_metric, compare_sides,
// compare_command) share beyond compare_command.hpp.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kreg::compare_detail {

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

// The latency metrics a record's points hold, sorted.
std::vector<std::string> metric_names(const nlohmann::json& record);

// "netns/live", "memcg-churn/x (v2)#r2": the job as the tables name it.
std::string job_display(const nlohmann::json& record);

}  // namespace kreg::compare_detail
