// memcg-churn: the container runtime's memcg life cycle, repeated. Each
// object: mkdir a memcg, a task in it writes page cache (and optionally
// creates files, charging dentries and inodes), the task leaves, rmdir. The
// charged pages keep the removed memcg alive in the kernel ("dying").
//
// The cgroup mode is not a parameter: the job's cgroup_mode puts the memory
// controller on v1 or v2 (GeneratorContext::cgroup_mode).
//
// Parameters (JSON):
//   way               "fork" | "fast"              a parent forks a child per cgroup and moves it in,
//                                                  as runtimes do (default; the parent is the small
//                                                  kreg-memcg-spawner, memcg_spawner.hpp), or one
//                                                  worker moves itself in and out (no fork)
//   page_cache_bytes  0 .. 1 GiB                   written per cgroup (default 4096; 0 = none)
//   page_cache        "tmpfs" | "ext4" | "none"    where the page cache lives (default tmpfs;
//                                                  ext4 = the scratch disk, reclaimable without swap)
//   parent            cgroup path                  under the run's cgroup root (default "memcg-churn";
//                                                  e.g. "kubepods/offline" as in the v2 incident)
//   name_prefix       string                       cgroup names are <prefix><n> (default "memcg-")
//   kobjects          0 .. 100000                  files created and stat'ed per cgroup (default 0)
//   workers           1 .. 64                      processes churning in parallel (default 1)
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "scenarios/generator.hpp"

namespace kreg {

void check_memcg_params(const nlohmann::json& params);
std::unique_ptr<Generator> construct_memcg_generator(const nlohmann::json& params, const GeneratorContext& context);

}  // namespace kreg
