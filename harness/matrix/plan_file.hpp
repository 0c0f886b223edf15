// A plan (kreg plan SUITE --shards N): the expanded matrix split into shards
// that run on separate machines (kreg run --plan P --shard I) and are merged
// back into one run (kreg merge). JSON, schema "kreg.plan" version 1:
//
//   plan_id          the merged run's id; shards write under <results>/<plan_id>/
//   suite, suite_effective, suite_text   as in run.json (the suite after overrides)
//   kernels          [{spec, label, kernel}] resolved once when planning, with the
//                    image's sha256: every shard boots that image or refuses
//   accel            auto | kvm | tcg: what every shard asks for
//   vms_per_shard    VMs one shard runs at once (its CPU and memory request)
//   units            the whole matrix in run order: {unit_id, kernel, record, cost_s,
//                    memory_mib, shard}
//   shards           [{index, units: [unit_id...], cost_s, memory_mib (largest VM),
//                    timeout_s (sum of its VMs' timeouts)}]
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/matrix/suite.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

struct Plan {
  nlohmann::json json;
  std::string path;    // absolute path of the file it was read from
  std::string sha256;  // of the canonical JSON (sorted keys, no spacing): names the plan in shard results
  std::string id() const { return json.at("plan_id"); }
  int shard_count() const { return static_cast<int>(json.at("shards").size()); }
  std::vector<std::string> shard_units(int shard) const;
};

// Builds the plan: the suite's matrix on `kernels` (run.json's kernels entries:
// spec, label, kernel), each unit's cost estimate, and `shards` balanced shards.
nlohmann::json make_plan(const Suite& suite, const nlohmann::json& kernels, const std::string& plan_id,
                         const std::string& accel, int shards, int vms_per_shard);

// Reads and checks a plan file: schema, and that its shards partition its
// units. Throws KregError naming the file.
Plan load_plan(const std::string& path);
Plan plan_from_json(const nlohmann::json& json, const std::string& path);

// SHA-256 of `json.dump()` (lowercase hex).
std::string json_sha256(const nlohmann::json& json);

// The plan's kernels, one per plan kernel: the cached image when it is there
// and its SHA-256 matches, else obtained again by spec (Debian kernels pinned
// to the planned ABI version) and verified. Kernels no unit of `needed` uses
// are only described, not fetched. Throws KregError when a kernel now
// resolves to another image.
std::vector<KernelImage> plan_kernels(const Plan& plan, const std::vector<bool>& needed, const std::string& cache_dir);

// What one shard needs from a batch system, for its VMs run `vms_per_shard` at a time.
struct ShardResources {
  int cpus = 1;          // vCPUs per VM x VMs at once
  int memory_mib = 0;    // largest VM x VMs at once, plus QEMU's and kreg's own
  int time_minutes = 0;  // every VM's timeout, run `vms_per_shard` at a time, plus a margin
};
ShardResources shard_resources(const Plan& plan, int shard);
// The largest over all shards: one job array asks the same of every task.
ShardResources plan_resources(const Plan& plan);

}  // namespace kreg
