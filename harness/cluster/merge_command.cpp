#include "harness/cluster/merge_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "harness/matrix/plan_file.hpp"
#include "harness/store/files.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

bool is_shard_run(const fs::path& dir) {
  if (!fs::is_regular_file(dir / "run.json")) return false;
  nlohmann::json run = read_json_file(dir / "run.json");
  return !run.is_discarded() && run.contains("shard");
}

}  // namespace

std::vector<ShardRun> find_shard_runs(const std::vector<std::string>& inputs) {
  std::set<std::string> dirs;
  for (const auto& input : inputs) {
    fs::path p(input);
    if (!fs::is_directory(p)) throw KregError("merge input " + input + " is not a directory");
    size_t before = dirs.size();
    if (is_shard_run(p)) {
      dirs.insert(fs::canonical(p));
    } else {
      for (const fs::path& parent : {p / "shards", p}) {
        if (!fs::is_directory(parent)) continue;
        for (const auto& e : fs::directory_iterator(parent))
          if (e.is_directory() && is_shard_run(e.path())) dirs.insert(fs::canonical(e.path()));
      }
    }
    if (dirs.size() == before)
      throw KregError("merge input " + input + " holds no shard results (run.json of kreg run --plan P --shard I)");
  }
  std::vector<ShardRun> out;
  for (const auto& d : dirs) out.push_back({d, read_json_file(d + "/run.json")});
  return out;
}

int merge_command(const MergeOptions& options) {
  if (options.inputs.empty()) throw KregError("kreg merge needs the shards' results: kreg merge DIR...");
  std::vector<ShardRun> shards = find_shard_runs(options.inputs);
  for (const auto& s : shards)
    if (s.run.is_discarded()) throw KregError(s.dir + "/run.json is not valid JSON");
  Plan plan = options.plan.empty()
                  ? plan_from_json(shards[0].run.value("plan", nlohmann::json()), shards[0].dir + "/run.json")
                  : load_plan(options.plan);
  MergeResult result = merge_shards(plan.json, plan.sha256, shards);
  for (const auto& n : result.notes) std::fprintf(stderr, "kreg: merge: %s\n", n.c_str());
  if (!result.errors.empty()) {
    for (const auto& e : result.errors) std::fprintf(stderr, "kreg: merge: %s\n", e.c_str());
    throw KregError(fmt::format("{} inconsistencies between the shards of plan {} (listed above); nothing merged",
                                result.errors.size(), plan.id()));
  }

  // Default: the plan's results directory, which holds the shards/ merged here.
  std::string out = options.out;
  if (out.empty()) {
    std::set<std::string> parents;
    for (const auto& s : shards) {
      fs::path shards_dir = fs::path(s.dir).parent_path();
      parents.insert(shards_dir.filename() == "shards" && shards_dir.parent_path().filename() == plan.id()
                         ? shards_dir.parent_path().string()
                         : "");
    }
    if (parents.size() != 1 || parents.begin()->empty())
      throw KregError("the shards do not lie in one <results>/" + plan.id() + "/shards/; pass --out RUN_DIR");
    out = *parents.begin();
  }
  fs::path out_path = fs::absolute(out).lexically_normal();
  if (fs::exists(out_path / "run.json")) {
    nlohmann::json existing = read_json_file(out_path / "run.json");
    if (existing.is_discarded() || !existing.contains("merged"))
      throw KregError(out_path.string() + " already holds a run that is not a merge of plan " + plan.id() +
                      " (choose another --out)");
  }
  ResultStore store(out_path.parent_path().string(), out_path.filename().string(), fs::exists(out_path / "run.json"));
  for (const auto& [src, rel] : result.records) link_or_copy(src, store.dir() + "/" + rel);
  if (!plan.json.value("suite_text", "").empty())
    write_file_atomically(store.dir() + "/suite.toml", plan.json["suite_text"]);
  if (!fs::exists(store.dir() + "/plan.json"))
    write_file_atomically(store.dir() + "/plan.json", plan.json.dump(2) + "\n");
  result.run["merged"]["plan_file"] = plan.path;
  store.write_run(result.run);

  const size_t planned = plan.json["units"].size();
  std::fprintf(stderr, "kreg: merged %zu of %zu units of plan %s from %zu shard results (%d planned) into %s\n",
               planned - result.missing.size(), planned, plan.id().c_str(), shards.size(), plan.shard_count(),
               store.dir().c_str());
  std::printf("%s\n", store.dir().c_str());
  if (!result.missing.empty()) {
    for (const auto& m : result.missing) std::fprintf(stderr, "kreg: merge: missing %s\n", m.c_str());
    if (!options.allow_missing)
      throw KregError(
          fmt::format("{} of {} units of plan {} have no record (listed above; the merged run marks them "
                      "missing; run their shards again, or pass --allow-missing)",
                      result.missing.size(), planned, plan.id()));
  }
  return 0;
}

}  // namespace kreg
