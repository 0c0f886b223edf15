// `kreg plan SUITE --shards N`: resolves the suite's kernels once, expands the
// matrix, splits it into N shards balanced by each unit's estimated cost
// (harness/shard_plan.hpp) and writes the plan file (harness/plan_file.hpp)
// that `kreg run --plan P --shard I`, `kreg merge` and `kreg submit` read.
#pragma once

#include <string>

#include "harness/cli/run_command.hpp"

namespace kreg {

struct PlanOptions {
  RunOptions run;  // suite, kernels and overrides, as for kreg run
  int shards = 0;
  int vms_per_shard = 1;  // VMs one shard runs at once
  std::string out;        // "" = <results>/<plan_id>/plan.json
};

int plan_command(const PlanOptions& options);

}  // namespace kreg
