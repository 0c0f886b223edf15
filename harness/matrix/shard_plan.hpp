// Splitting a run's matrix into shards that separate machines (Slurm array
// tasks, Kubernetes Indexed Job pods) run on their own. Pure: no files, no
// clock, so the same matrix and shard count always give the same shards and
// a shard can be re-run anywhere.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/matrix/suite.hpp"

namespace kreg {

// Rough seconds one unit of `job` takes under TCG on one vCPU: VM boot plus
// the objects the sweep creates (its largest target) times what one object of
// the scenario costs, plus the latency samples at every point. Calibrated on
// the default suite's records (6.1/6.12, TCG); only the ratios matter.
double estimate_unit_cost_s(const nlohmann::json& job);

struct ShardCostUnit {
  std::string unit_id;
  double cost_s = 0;
};

// Greedy longest-processing-time: units by falling cost (ties by unit id),
// each to the shard with the least cost so far (ties: the lowest index).
// Returns per shard the indices into `units` in ascending order (the
// matrix's order). Every unit lands in exactly one shard; with more shards
// than units the extra shards are empty. `shards` must be >= 1.
std::vector<std::vector<size_t>> partition_units(const std::vector<ShardCostUnit>& units, int shards);

}  // namespace kreg
