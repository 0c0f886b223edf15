// Shards and merges: for any shard count the plan's shards partition the
// matrix (every unit in exactly one shard), the same input always gives the
// same shards, costs are balanced; merging the shards' records gives exactly
// the units a single-machine `kreg run` of the suite would have, and a
// duplicate, a missing unit, another plan's shard or another kernel image is
// reported, never dropped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "harness/cluster/merge_command.hpp"
#include "harness/matrix/matrix.hpp"
#include "harness/matrix/plan_file.hpp"
#include "harness/matrix/shard_plan.hpp"
#include "harness/matrix/suite.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

namespace fs = std::filesystem;

const char* kSuite = R"(name = "t"
kernels = ["debian:bookworm", "debian:trixie"]
cgroup_modes = ["v1", "v2"]
repetitions = 2
[[job]]
id = "memcg"
scenario = "memcg-churn"
targets = [0, 1000, 5000]
[[job]]
id = "netns"
scenario = "netns"
targets = [0, 50]
params = { mode = "live" }
[[job]]
id = "dentries"
scenario = "dentry-negative"
targets = [0, 100000]
)";

// run.json's kernels entries, as kreg plan resolves them (no download here).
nlohmann::json fake_kernels() {
  return {{{"spec", "debian:bookworm"},
           {"label", "6.1.0-50-cloud-amd64"},
           {"kernel", {{"release", "6.1.0-50-cloud-amd64"}, {"image_sha256", std::string(64, 'a')}}}},
          {{"spec", "debian:trixie"},
           {"label", "6.12.117+deb13-cloud-amd64"},
           {"kernel", {{"release", "6.12.117+deb13-cloud-amd64"}, {"image_sha256", std::string(64, 'b')}}}}};
}

// What a single-machine `kreg run` of kSuite runs, written out by hand in its
// order (job, then cgroup mode for the cgroup job, then repetition, then
// kernel): memcg once per mode, netns and dentries once per kernel.
const std::vector<std::string> kSingleMachineUnits = {
    "6.1.0-50-cloud-amd64/memcg/v1#r1", "6.12.117+deb13-cloud-amd64/memcg/v1#r1",
    "6.1.0-50-cloud-amd64/memcg/v1#r2", "6.12.117+deb13-cloud-amd64/memcg/v1#r2",
    "6.1.0-50-cloud-amd64/memcg/v2#r1", "6.12.117+deb13-cloud-amd64/memcg/v2#r1",
    "6.1.0-50-cloud-amd64/memcg/v2#r2", "6.12.117+deb13-cloud-amd64/memcg/v2#r2",
    "6.1.0-50-cloud-amd64/netns#r1",    "6.12.117+deb13-cloud-amd64/netns#r1",
    "6.1.0-50-cloud-amd64/netns#r2",    "6.12.117+deb13-cloud-amd64/netns#r2",
    "6.1.0-50-cloud-amd64/dentries#r1", "6.12.117+deb13-cloud-amd64/dentries#r1",
    "6.1.0-50-cloud-amd64/dentries#r2", "6.12.117+deb13-cloud-amd64/dentries#r2",
};

TEST(ShardPartition, AnyShardCountPartitionsTheUnits) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ShardCostUnit> units(1 + rng() % 40);
    for (size_t i = 0; i < units.size(); ++i)
      units[i] = {"u" + std::to_string(i), static_cast<double>(rng() % 5 == 0 ? 7 : rng() % 1000) / 10};
    const int n = 1 + static_cast<int>(rng() % (units.size() + 5));  // also more shards than units
    auto shards = partition_units(units, n);
    ASSERT_EQ(shards.size(), static_cast<size_t>(n));
    std::vector<int> seen(units.size(), 0);
    double total = 0, largest = 0, most = 0;
    for (const auto& s : shards) {
      EXPECT_TRUE(std::is_sorted(s.begin(), s.end())) << "matrix order inside a shard";
      double load = 0;
      for (size_t i : s) {
        ++seen[i];
        load += units[i].cost_s;
      }
      most = std::max(most, load);
    }
    for (const auto& u : units) {
      total += u.cost_s;
      largest = std::max(largest, u.cost_s);
    }
    for (size_t i = 0; i < units.size(); ++i) ASSERT_EQ(seen[i], 1) << "unit " << i << " with " << n << " shards";
    // Greedy LPT: no shard exceeds the mean by more than one unit's cost.
    EXPECT_LE(most, total / n + largest + 1e-9);
    EXPECT_EQ(partition_units(units, n), shards) << "deterministic";
  }
}

TEST(ShardPartition, TiesGoByUnitIdNotInputOrder) {
  std::vector<ShardCostUnit> a = {{"b", 1}, {"a", 1}, {"c", 1}};
  auto shards = partition_units(a, 2);
  // By id: a -> shard 0, b -> shard 1, c -> shard 0 (equal loads: the lower index).
  EXPECT_EQ(shards[0], (std::vector<size_t>{1, 2}));
  EXPECT_EQ(shards[1], (std::vector<size_t>{0}));
  EXPECT_THROW(partition_units(a, 0), KregError);
}

TEST(ShardCost, GrowsWithObjectsAndSamples) {
  nlohmann::json small = {{"scenario", "memcg-churn"}, {"targets", {0, 100}}, {"samples", 10}};
  nlohmann::json big = {{"scenario", "memcg-churn"}, {"targets", {0, 10000}}, {"samples", 10}};
  nlohmann::json traced = big;
  traced["kernel_trace"] = true;
  EXPECT_GT(estimate_unit_cost_s(big), estimate_unit_cost_s(small));
  EXPECT_GT(estimate_unit_cost_s(traced), estimate_unit_cost_s(big));
  EXPECT_GT(estimate_unit_cost_s(small), 3.0) << "a VM boot is never free";
}

TEST(PlanFile, ShardsOfEveryCountCoverTheSingleMachineMatrix) {
  Suite suite = parse_suite(kSuite, "t.toml");
  const std::vector<std::string>& expected = kSingleMachineUnits;
  for (int n = 1; n <= static_cast<int>(expected.size()); ++n) {
    Plan plan = plan_from_json(make_plan(suite, fake_kernels(), "p", "tcg", n, 1), "");
    std::multiset<std::string> in_shards;
    for (int s = 0; s < plan.shard_count(); ++s) {
      auto ids = plan.shard_units(s);
      EXPECT_FALSE(ids.empty()) << "shard " << s << " of " << n;
      in_shards.insert(ids.begin(), ids.end());
    }
    EXPECT_EQ(in_shards, std::multiset<std::string>(expected.begin(), expected.end())) << n << " shards";
    EXPECT_EQ(plan.sha256, plan_from_json(make_plan(suite, fake_kernels(), "p", "tcg", n, 1), "").sha256)
        << "the same plan twice";
  }
  EXPECT_THROW(make_plan(suite, fake_kernels(), "p", "tcg", static_cast<int>(expected.size()) + 1, 1), KregError);
}

TEST(PlanFile, RefusesAPlanWhoseShardsDoNotPartitionItsUnits) {
  Suite suite = parse_suite(kSuite, "t.toml");
  nlohmann::json plan = make_plan(suite, fake_kernels(), "p", "tcg", 3, 1);
  nlohmann::json twice = plan;
  twice["shards"][1]["units"].push_back(twice["shards"][0]["units"][0]);
  EXPECT_THROW(plan_from_json(twice, "x.json"), KregError);
  nlohmann::json dropped = plan;
  dropped["shards"][2]["units"].erase(0);
  EXPECT_THROW(plan_from_json(dropped, "x.json"), KregError);
  nlohmann::json other = plan;
  other["schema"] = "kreg.run";
  EXPECT_THROW(plan_from_json(other, "x.json"), KregError);
}

TEST(PlanFile, ResourcesFollowTheVmSizes) {
  Suite suite = parse_suite(kSuite, "t.toml");
  suite.vm.vcpus = 2;
  Plan one = plan_from_json(make_plan(suite, fake_kernels(), "p", "tcg", 4, 1), "");
  Plan two = plan_from_json(make_plan(suite, fake_kernels(), "p", "tcg", 4, 2), "");
  EXPECT_EQ(plan_resources(one).cpus, 2);
  EXPECT_EQ(plan_resources(two).cpus, 4);
  EXPECT_GT(plan_resources(two).memory_mib, plan_resources(one).memory_mib);
  EXPECT_GE(plan_resources(one).memory_mib, 1024 + 256);
  suite.vm.memory_mib = 8192;
  Plan big = plan_from_json(make_plan(suite, fake_kernels(), "p", "tcg", 4, 1), "");
  EXPECT_GT(plan_resources(big).memory_mib, 8192);
  EXPECT_GE(plan_resources(one).time_minutes, static_cast<int>(suite.vm.timeout_s / 60));
}

// Shard results on disk, as kreg run --plan P --shard I writes them.
struct ShardFixture {
  fs::path root;
  nlohmann::json plan;
  std::string sha;
  ShardFixture(const Suite& suite, int shards) {
    char tmpl[] = "/tmp/kreg-merge-XXXXXX";
    root = mkdtemp(tmpl);
    plan = make_plan(suite, fake_kernels(), "p", "tcg", shards, 1);
    sha = plan_from_json(plan, "").sha256;
  }
  ~ShardFixture() { fs::remove_all(root); }
  fs::path write_shard(int index, const std::vector<std::string>& skip = {}, const std::string& image = "") {
    fs::path dir = root / "p" / "shards" / std::to_string(index);
    nlohmann::json units = nlohmann::json::array();
    std::map<std::string, nlohmann::json> planned;
    for (const auto& u : plan["units"]) planned[u["unit_id"]] = u;
    for (const std::string id : plan["shards"][index]["units"]) {
      const auto& u = planned[id];
      bool has = std::find(skip.begin(), skip.end(), id) == skip.end();
      units.push_back({{"unit_id", id},
                       {"kernel", u["kernel"]},
                       {"record", u["record"]},
                       {"vm_dir", "vm/x"},
                       {"status", has ? "ok" : "failed"},
                       {"reason", has ? "" : "timeout"}});
      if (!has) continue;
      fs::create_directories((dir / u["record"].get<std::string>()).parent_path());
      std::string sha = !image.empty() ? image : std::string(64, u["kernel"] == "6.1.0-50-cloud-amd64" ? 'a' : 'b');
      std::ofstream(dir / u["record"].get<std::string>())
          << nlohmann::json{{"unit", {{"unit_id", id}}}, {"kernel", {{"image_sha256", sha}}}}.dump();
    }
    nlohmann::json run = {{"schema", "kreg.run"},
                          {"status", skip.empty() ? "ok" : "failed"},
                          {"suite_effective", plan["suite_effective"]},
                          {"kernels", plan["kernels"]},
                          {"machine", {{"accelerator", "tcg"}}},
                          {"units", units},
                          {"failures", nlohmann::json::array()},
                          {"shard", {{"plan_id", "p"}, {"plan_sha256", sha}, {"index", index}}},
                          {"plan", plan}};
    fs::create_directories(dir);
    std::ofstream(dir / "run.json") << run.dump();
    return dir;
  }
  MergeResult merge(const std::vector<std::string>& inputs) { return merge_shards(plan, sha, find_shard_runs(inputs)); }
};

TEST(Merge, ShardsMergeIntoTheSingleMachineRunsUnits) {
  Suite suite = parse_suite(kSuite, "t.toml");
  const std::vector<std::string>& expected = kSingleMachineUnits;
  for (int n : {1, 2, 3, 5, 7, static_cast<int>(expected.size())}) {
    ShardFixture f(suite, n);
    for (int i = 0; i < n; ++i) f.write_shard(i);
    MergeResult r = f.merge({(f.root / "p").string()});
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_TRUE(r.missing.empty());
    std::vector<std::string> merged;
    for (const auto& u : r.run["units"]) {
      merged.push_back(u["unit_id"]);
      EXPECT_EQ(u["status"], "ok");
    }
    EXPECT_EQ(merged, expected) << n << " shards, in the single run's order";
    EXPECT_EQ(r.records.size(), expected.size());
    EXPECT_EQ(r.run["status"], "ok");
    EXPECT_EQ(r.run["schema_version"], 2);
    EXPECT_EQ(r.run["merged"]["units_merged"], expected.size());
  }
}

TEST(Merge, MissingUnitsAndShardsAreListed) {
  Suite suite = parse_suite(kSuite, "t.toml");
  ShardFixture f(suite, 4);
  std::string failed = f.plan["shards"][0]["units"][0];
  f.write_shard(0, {failed});
  f.write_shard(1);
  f.write_shard(2);  // shard 3 never ran
  MergeResult r = f.merge({(f.root / "p" / "shards").string()});
  EXPECT_TRUE(r.errors.empty());
  size_t shard3 = f.plan["shards"][3]["units"].size();
  ASSERT_EQ(r.missing.size(), 1 + shard3);
  bool named_failed = false, named_shard3 = false;
  for (const auto& m : r.missing) {
    named_failed |= m.rfind(failed, 0) == 0 && m.find("failed (timeout)") != std::string::npos;
    named_shard3 |= m.find("shard 3 is not among") != std::string::npos;
  }
  EXPECT_TRUE(named_failed);
  EXPECT_TRUE(named_shard3);
  EXPECT_EQ(r.run["status"], "incomplete");
  EXPECT_EQ(r.run["units"].size(), f.plan["units"].size()) << "missing units stay in run.json";
}

TEST(Merge, DuplicatesAreKeptOnceWhenIdenticalAndRefusedWhenNot) {
  Suite suite = parse_suite(kSuite, "t.toml");
  ShardFixture f(suite, 2);
  f.write_shard(0);
  f.write_shard(1);
  fs::path copy = f.root / "elsewhere" / "0";
  fs::create_directories(copy.parent_path());
  fs::copy(f.root / "p" / "shards" / "0", copy, fs::copy_options::recursive);
  MergeResult same = f.merge({(f.root / "p").string(), copy.string()});
  EXPECT_TRUE(same.errors.empty());
  EXPECT_FALSE(same.notes.empty());
  EXPECT_EQ(same.records.size(), f.plan["units"].size());

  std::string rec = f.plan["units"][0]["record"];
  int shard_of_first = f.plan["units"][0]["shard"];
  fs::path other = f.root / "elsewhere" / "x";
  fs::copy(f.root / "p" / "shards" / std::to_string(shard_of_first), other, fs::copy_options::recursive);
  std::ofstream(other / rec) << "{\"different\": true}";
  MergeResult differ = f.merge({(f.root / "p").string(), other.string()});
  ASSERT_FALSE(differ.errors.empty());
  EXPECT_NE(differ.errors[0].find("two different records"), std::string::npos) << differ.errors[0];
}

TEST(Merge, AnotherPlansShardOrKernelImageIsAnError) {
  Suite suite = parse_suite(kSuite, "t.toml");
  ShardFixture f(suite, 2);
  f.write_shard(0);
  f.write_shard(1, {}, std::string(64, 'c'));  // records of another image
  MergeResult r = f.merge({(f.root / "p").string()});
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("kernel image"), std::string::npos) << r.errors[0];

  ShardFixture g(suite, 2);
  g.write_shard(0);
  g.write_shard(1);
  Suite changed = suite;
  changed.jobs[0]["targets"] = {0, 10};
  nlohmann::json other_plan = make_plan(changed, fake_kernels(), "p", "tcg", 2, 1);
  MergeResult wrong =
      merge_shards(other_plan, plan_from_json(other_plan, "").sha256, find_shard_runs({(g.root / "p").string()}));
  ASSERT_EQ(wrong.errors.size(), 2u);
  EXPECT_NE(wrong.errors[0].find("belongs to plan"), std::string::npos) << wrong.errors[0];
}

TEST(Merge, ShardsUnderDifferentAcceleratorsDoNotMerge) {
  Suite suite = parse_suite(kSuite, "t.toml");
  ShardFixture f(suite, 2);
  f.write_shard(0);
  fs::path d = f.write_shard(1);
  nlohmann::json run = nlohmann::json::parse(std::ifstream(d / "run.json"));
  run["machine"]["accelerator"] = "kvm";
  std::ofstream(d / "run.json") << run.dump();
  MergeResult r = f.merge({(f.root / "p").string()});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("would not compare"), std::string::npos);
}

}  // namespace
}  // namespace kreg
