// Every generator once in the real 6.1 guest, small counts: the record is
// intact and the objects are measured back from the kernel (not counted by
// the generator). The ext4 cases also prove module loading and the virtio
// scratch disk.
#include <gtest/gtest.h>

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
  return summary.is_discarded() ? nlohmann::json::object() : summary;
}

TEST(VmScenarios, LiveNetnsAreAllHeld) {
  auto s = scenario({"netns", "-p", "mode=live", "-n", "40"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_EQ(s["created"], 40);
  EXPECT_EQ(s["measured"]["netns_live"], 40);
  // Each live netns is a net_namespace object the kernel still holds.
  EXPECT_GE(s["counters_after"]["slab_net_namespace_active_objs"].get<int64_t>() -
                s["counters_before"]["slab_net_namespace_active_objs"].get<int64_t>(),
            40);
}

TEST(VmScenarios, PauseLoopKeepsTheWindowOfPods) {
  auto s = scenario({"pause-loop", "-p", "keep=5", "-n", "15"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_EQ(s["created"], 15);
  EXPECT_EQ(s["measured"]["pods_live"], 5);
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
  auto s = scenario({"memcg-churn", "-p", "page_cache=ext4", "-p", "workers=2", "-p", "kobjects=10", "-n", "100"});
  EXPECT_EQ(s["created"], 100);
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_GE(s["measured"]["memcg_dying"].get<int64_t>(), 95);
}

TEST(VmScenarios, FastWayOnCgroupV2UnderAParentLikeKubepods) {
  auto s = scenario({"memcg-churn", "-p", "cgroup_mode=v2", "-p", "way=fast", "-p", "parent=kubepods/offline", "-n",
                     "100"});
  EXPECT_EQ(s["status"], "ok") << s["error"].dump();
  EXPECT_GE(s["measured"]["parent_nr_dying_descendants"].get<int64_t>(), 95);
}

}  // namespace
}  // namespace kreg::test
