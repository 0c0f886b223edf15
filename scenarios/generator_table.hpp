// The table of generators (kselftest's table of tests): everything kreg knows
// about a scenario, in one place. The guest agent, the sweep runner, the
// harness (matrix, VM sizing, shard costs, progress lines), `kreg catalog`
// and through it plots/ all read it; nothing keeps a copy.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/generator.hpp"

namespace kreg {

// One pathology a generator reproduces. netns has two (live and dead netns
// are different pathologies); the others have one, named like the generator.
struct ScenarioFamily {
  std::string id;          // "memcg-churn", "netns/live", "netns/dead"
  std::string x_label;     // what a sweep's x, a point's "created", counts
  std::string held_key;    // the key of a point's "measured" that counts what the kernel still holds
  std::string held_label;  // "dying memcgs"
  // What the kernel keeps of the objects the generator destroyed (a point's
  // "measured" key and its words), "" where nothing is destroyed: keeping them
  // is the kernel's doing, a finding (harness/findings/). held_key may differ:
  // a pause loop holds live pods by design and leaves dying memcgs behind.
  std::string retained_key = "";
  std::string retained_label = "";
};

// Where a timed path lives. Memory-controller files are named by their v2
// name and mapped to v1 through scenarios/cgroup_files.hpp.
enum class StatBase { Absolute, MemoryRoot, MemoryParent, ScenarioDir };

struct StatPath {
  std::string metric;  // e.g. "root_memory_numa_stat_read": the same in v1 and v2
  StatBase base;
  std::string file;         // absolute path, cgroup file (v2 name) or a name in the scenario's directory
  std::string op = "read";  // see StatRead
  std::string only_mode;    // "v1"/"v2": the file exists in that mode only ("" both)
};

struct GeneratorInfo {
  std::string name;    // "memcg-churn"
  std::string object;  // what created() counts: "memcgs"
  std::string summary;
  bool uses_cgroups;                // needs a mounted cgroup hierarchy: runs once per cgroup mode
  std::vector<std::string> params;  // every parameter it takes
  std::string family_param;         // the parameter choosing among families ("" one family)
  std::vector<ScenarioFamily> families;
  std::vector<StatPath> stat_paths;  // what a sweep times at every point
  // Pure: throws std::invalid_argument naming the bad parameter. Creates nothing.
  void (*check_params)(const nlohmann::json& params);
  // Guest memory per object (kernel objects, page cache, holder processes),
  // doubled for headroom: sizes the VM.
  int64_t (*bytes_per_object)(const nlohmann::json& params);
  // Guest seconds per object under TCG: a unit's cost in a sharded plan.
  double (*seconds_per_object)(const nlohmann::json& params);
  // Builds the generator without side effects; make_generator() prepares it.
  std::unique_ptr<Generator> (*make)(const nlohmann::json& params, const GeneratorContext& context);
};

const std::vector<GeneratorInfo>& generator_table();

// The entry for `name`; std::invalid_argument listing the known names.
const GeneratorInfo& generator_info(const std::string& name);

// The family a job's parameters select.
const ScenarioFamily& scenario_family(const GeneratorInfo& info, const nlohmann::json& params);

// Paths to time for `paths` given where this run's hierarchy and directories
// are; rows the cgroup mode lacks are left out.
struct StatBases {
  std::string memory_root, memory_parent, scenario_dir, cgroup_mode;
};
std::vector<StatRead> resolve_stat_paths(const std::vector<StatPath>& paths, const StatBases& bases);

// Sweep targets: non-empty, non-negative, strictly increasing integers.
// `what` names them in the message ("job memcg-churn/x: 'targets'").
std::vector<int64_t> checked_targets(const nlohmann::json& targets, const std::string& what);

// One validation of a sweep job, on the host before anything slow and in the
// guest before any work: scenario known, parameters known and valid, targets
// increasing. Throws std::invalid_argument with a one-line message.
void check_sweep_job(const nlohmann::json& job);

// The table as JSON for `kreg catalog` (and through it plots/).
nlohmann::json generator_table_json();

}  // namespace kreg
