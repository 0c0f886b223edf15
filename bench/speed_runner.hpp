// How fast each generator makes its objects, side by side in one kernel with
// (a) a minimal raw-syscall C loop doing exactly the same kernel work (the
// floor) and (b) for memcgs, the 1000-memcg busybox-sh proof of concept.
// Methods run in interleaved rounds (A B C A B C ...) so that the kernel
// state they accumulate (dying memcgs, dentries) weighs on each alike.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/sweep_runner.hpp"

namespace kreg {

// Job fields: families (array of "memcg-fork", "memcg-fast", "netns-dead",
// "netns-live", "dentry-negative", "pause-loop"; default all), ops (object
// -> count per family, e.g. {"memcg": 1000}), rounds (default 5).
// Returns {"families": {family: {method: {ops, seconds, ops_per_s}, ...,
// "generator_vs_raw": r, "generator_vs_bash": r}}} plus the two headline
// ratios raw fast/bash and raw fork/bash.
nlohmann::json run_speed(const nlohmann::json& job, const SweepEnvironment& env, const ProgressFn& progress);

}  // namespace kreg
