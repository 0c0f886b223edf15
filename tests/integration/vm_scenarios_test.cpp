// Every generator once in the real 6.1 guest, small counts: the record is
// intact and the objects are measured back from the kernel (not counted by
// the generator). The ext4 cases also prove module loading and the virtio
// scratch disk.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

// Runs `kreg scenario` and returns its printed summary (exit code checked).
nlohmann::json scenario(const std::vector<std::string>& args) {
  TempDir dir;
  std::vector<std::string> all = {"scenario"};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--results", dir.path});
  CapturedRun r = run_kreg(all);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(summary.is_discarded()) << r.out;
  if (summary.is_discarded()) return nlohmann::json::object();
  summary["full_record"] = read_json(summary["record"]);  // before the temp dir goes
  return summary;
}

TEST(VmScenarios, LiveNetnsAreAllHeld) {
  auto s = scenario({"netns", "-p", "mode=live", "-n", "40", "--latency", "--samples", "20"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_EQ(s["created"], 40);
  EXPECT_EQ(s["measured"]["netns_live"], 40);
  // Each live netns is a net_namespace object the kernel still holds.
  EXPECT_GE(s["counters_after"]["slab_net_namespace_active_objs"].get<int64_t>() -
                s["counters_before"]["slab_net_namespace_active_objs"].get<int64_t>(),
            40);
  // The sysctl path walk was timed from init_net, with the ipv4 control and
  // the timer's own overhead, each with a unit and direction on record.
  const nlohmann::json& record = s["full_record"];
  const auto& metrics = record["points"].back()["metrics"];
  for (const char* m : {"sysctl_ipv6_disable_ipv6_open", "sysctl_core_somaxconn_open", "sysctl_ipv4_forwarding_open",
                        "sysctl_ipv6_disable_ipv6_stat", "timer_overhead"}) {
    ASSERT_TRUE(metrics.contains(m)) << m << " in " << metrics.dump();
    EXPECT_EQ(metrics[m]["samples"], 20) << m;
    EXPECT_EQ(record["metric_info"][m]["unit"], "ns") << m;
  }
  EXPECT_LT(metrics["timer_overhead"]["median_ns"].get<double>(),
            metrics["sysctl_ipv4_forwarding_open"]["median_ns"].get<double>());
}

TEST(VmScenarios, PauseLoopKeepsTheWindowOfPods) {
  auto s = scenario({"pause-loop", "-p", "keep=5", "-n", "15"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_EQ(s["created"], 15);
  EXPECT_EQ(s["measured"]["pods_live"], 5);
}

// kreg run speed's job, two families at a few objects: both ways are timed on
// the same objects in every round (the order alternates by round), and the
// ratio is the generator's rate over the raw floor's.
TEST(VmScenarios, SpeedJobTimesGeneratorAndRawFloorPerFamily) {
  TempDir dir;
  const std::string suite = dir.path + "/speed-mini.toml";
  std::ofstream(suite) << R"(name = "speed-mini"
kernels = ["debian:bookworm:6.1"]
cgroup_modes = ["v1"]
[vm]
vcpus = 1
[[job]]
id = "speed/mini"
kind = "speed"
rounds = 2
families = ["netns-dead", "pause-loop"]
ops = { netns = 6, pause = 6 }
)";
  CapturedRun r = run_kreg({"run", suite, "--results", dir.path, "--run-id", "s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string path;  // jobs/<release>/speed__mini__v1.json, whichever 6.1 the cache holds
  for (const auto& kernel : std::filesystem::directory_iterator(dir.path + "/s/jobs"))
    if (std::filesystem::exists(kernel.path() / "speed__mini__v1.json"))
      path = (kernel.path() / "speed__mini__v1.json").string();
  ASSERT_FALSE(path.empty()) << "no speed record under " << dir.path << "/s/jobs";
  nlohmann::json record = read_json(path);
  EXPECT_EQ(record["status"], "ok") << record.dump();
  const nlohmann::json& families = record["families"];
  EXPECT_EQ(families.size(), 2u) << families.dump();
  for (const char* name : {"netns-dead", "pause-loop"}) {
    const nlohmann::json& f = families[name];
    for (const char* way : {"generator", "raw"}) {
      EXPECT_EQ(f[way]["ops"], 6) << name << " " << way;
      EXPECT_GT(f[way]["seconds"].get<double>(), 0) << name << " " << way;
    }
    EXPECT_NEAR(f["generator_vs_raw"].get<double>(),
                f["generator"]["ops_per_s"].get<double>() / f["raw"]["ops_per_s"].get<double>(), 1e-9)
        << name;
  }
}

TEST(VmScenarios, NegativeDentriesOnTheExt4ScratchDisk) {
  auto s = scenario({"dentry-negative", "-n", "20000"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_EQ(s["created"], 20000);
  EXPECT_GE(s["counters_after"]["dentry_nr_negative"].get<int64_t>() -
                s["counters_before"]["dentry_nr_negative"].get<int64_t>(),
            19000);
}

TEST(VmScenarios, Ext4PageCacheKeepsMemcgsDyingWithTwoWorkers) {
  auto s = scenario(
      {"memcg-churn", "-p", "page_cache=ext4", "-p", "workers=2", "-p", "kobjects=10", "-n", "100", "--reclaim"});
  EXPECT_EQ(s["created"], 100);
  // Reclaim was timed by each method v1 offers, with dying memcgs counted
  // from the kernel before and after (how many it frees is the kernel's business).
  ASSERT_TRUE(s["reclaim"].is_array()) << s.dump();
  ASSERT_EQ(s["reclaim"].size(), 2u);
  EXPECT_EQ(s["reclaim"][0]["method"], "memory.force_empty");
  EXPECT_EQ(s["reclaim"][1]["method"], "drop_caches");
  for (const auto& step : s["reclaim"]) {
    EXPECT_GE(step["seconds"].get<double>(), 0.0) << step.dump();
    EXPECT_LE(step["dying_after"].get<int64_t>(), step["dying_before"].get<int64_t>()) << step.dump();
  }
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_GE(s["measured"]["memcg_dying"].get<int64_t>(), 95);  // measured at the point, before reclaim
}

TEST(VmScenarios, FastWayOnCgroupV2UnderAParentLikeKubepods) {
  auto s =
      scenario({"memcg-churn", "--cgroup-mode", "v2", "-p", "way=fast", "-p", "parent=kubepods/offline", "-n", "100"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_GE(s["measured"]["parent_nr_dying_descendants"].get<int64_t>(), 95);
}

}  // namespace
}  // namespace kreg::test
