#include "harness/matrix/shard_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "vm/common/error.hpp"

namespace kreg {

namespace {

// Guest seconds per object, from the default suite's step_s under TCG.
double seconds_per_object(const nlohmann::json& job) {
  const std::string scenario = job.value("scenario", "");
  const auto params = job.value("params", nlohmann::json::object());
  if (scenario == "memcg-churn") {
    double s = 0.0015 + 2e-9 * params.value("page_cache_bytes", 4096.0);  // writing the page cache
    return params.value("page_cache", "tmpfs") == "ext4" ? 2 * s : s;
  }
  if (scenario == "netns") return params.value("mode", "dead") == "live" ? 0.003 : 0.005;
  if (scenario == "pause-loop") return 0.012;
  if (scenario == "dentry-negative") return 0.000007;
  return 0.002;
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
