#include "harness/matrix/shard_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "scenarios/generator_table.hpp"
#include "vm/common/error.hpp"

namespace kreg {

namespace {

// Guest seconds per object under TCG, from the generator table.
double seconds_per_object(const nlohmann::json& job) {
  return generator_info(job.value("scenario", "")).seconds_per_object(job.value("params", nlohmann::json::object()));
}

}  // namespace

double estimate_unit_cost_s(const nlohmann::json& job) {
  constexpr double boot_s = 4.0;  // QEMU start, kernel boot to the agent's hello, shutdown
  if (job.value("kind", "sweep") == "speed") return boot_s + 120.0;
  double largest = 0;
  size_t points = 0;
  for (const auto& t : job.value("targets", nlohmann::json::array())) {
    largest = std::max(largest, t.get<double>());
    ++points;
  }
  // Each point reads every stat file `samples` times; the kernel trace repeats it under function_graph.
  double measure = points * job.value("samples", 200) * 0.0005 * (job.value("kernel_trace", false) ? 4 : 1);
  return boot_s + largest * seconds_per_object(job) + measure + (job.value("reclaim", false) ? 2.0 : 0.0);
}

std::vector<std::vector<size_t>> partition_units(const std::vector<ShardCostUnit>& units, int shards) {
  if (shards < 1) throw KregError("the number of shards must be at least 1");
  std::vector<size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (units[a].cost_s != units[b].cost_s) return units[a].cost_s > units[b].cost_s;
    return units[a].unit_id < units[b].unit_id;
  });
  std::vector<std::vector<size_t>> out(static_cast<size_t>(shards));
  std::vector<double> load(out.size(), 0.0);
  for (size_t i : order) {
    size_t best = 0;
    for (size_t s = 1; s < out.size(); ++s)
      if (load[s] < load[best]) best = s;
    out[best].push_back(i);
    load[best] += units[i].cost_s;
  }
  for (auto& shard : out) std::sort(shard.begin(), shard.end());
  return out;
}

}  // namespace kreg
