// `kreg merge DIR... [--plan P] [--out RUN_DIR]`: the shards of a plan, each a
// run of its own (kreg run --plan P --shard I wrote <results>/<plan_id>/shards/<I>/),
// merged into one run directory that kreg report and kreg compare read like
// any other: run.json (schema 2) listing every unit of the plan, and jobs/
// holding each record, hard-linked from its shard. Nothing is dropped
// silently: a unit with two different records, a shard of another plan, a
// kernel image or suite other than the plan's, or shards measured under
// different accelerators are errors (nothing is written); a unit of the plan
// with no record is listed, marked "missing" in run.json, and makes the exit
// code 2 unless --allow-missing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kreg {

struct MergeOptions {
  std::vector<std::string> inputs;  // shard run dirs, their shards/ dir, or the plan's results dir
  std::string plan;                 // "" = the plan embedded in the shards' run.json
  std::string out;                  // "" = <results>/<plan_id> when the shards lie in its shards/
  bool allow_missing = false;
};

// A shard as found on disk.
struct ShardRun {
  std::string dir;
  nlohmann::json run;  // its run.json
};

// Shard run directories under the inputs (each a dir with a shard's run.json,
// or a dir whose shards/ or immediate subdirectories hold them), sorted.
// Throws KregError naming an input that holds none.
std::vector<ShardRun> find_shard_runs(const std::vector<std::string>& inputs);

struct MergeResult {
  nlohmann::json run;                // the merged run.json
  std::vector<std::string> errors;   // inconsistencies: nothing may be written
  std::vector<std::string> missing;  // plan units without a record ("unit: why")
  std::vector<std::string> notes;    // identical duplicates and the like
  // Per merged record: source file (in a shard) -> path relative to the merged run.
  std::vector<std::pair<std::string, std::string>> records;
};

// The pure part: checks the shards against the plan and builds the merged run.
MergeResult merge_shards(const nlohmann::json& plan, const std::string& plan_sha256,
                         const std::vector<ShardRun>& shards);

// Exit code: 0 merged, 2 inconsistent input or (without --allow-missing) missing units.
int merge_command(const MergeOptions& options);

}  // namespace kreg
