// Pure harness logic: VM sizing from jobs, --param parsing, job validation.
#include <gtest/gtest.h>

#include "harness/cli/scenario_command.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

nlohmann::json one_job(const std::string& scenario, nlohmann::json params, int64_t largest) {
  return {{"jobs", {{{"scenario", scenario}, {"params", params}, {"targets", {0, largest}}}}}};
}

TEST(VmSizing, GrowsWithTheLargestTargetAndObjectCost) {
  int small = estimate_vm_memory_mib(one_job("netns", {{"mode", "live"}}, 100), 20000);
  int large = estimate_vm_memory_mib(one_job("netns", {{"mode", "live"}}, 10000), 20000);
  EXPECT_EQ(small, 1024);  // the floor
  EXPECT_GT(large, 6000);  // ~800 KiB per live netns with headroom
  EXPECT_GT(estimate_vm_memory_mib(one_job("netns", {{"mode", "live"}}, 10000), 20000),
            estimate_vm_memory_mib(one_job("netns", {{"mode", "dead"}}, 10000), 20000));
  EXPECT_GT(estimate_vm_memory_mib(one_job("memcg-churn", {{"page_cache_bytes", 1 << 20}}, 20000), 64000),
            estimate_vm_memory_mib(one_job("memcg-churn", {{"page_cache_bytes", 4096}}, 20000), 64000));
}

TEST(VmSizing, NeverAsksForMoreThanTheHostCanGive) {
  EXPECT_EQ(estimate_vm_memory_mib(one_job("dentry-negative", {}, 1'000'000'000), 3000), 3000);
  EXPECT_GE(host_memory_limit_mib(), 1024);
}

TEST(ScenarioParams, ValuesAreJsonWhenTheyParseElseStrings) {
  nlohmann::json p = parse_params({"keep=5", "mode=live", "fail_fast=true", "sysctls=[\"net/core/somaxconn\"]"});
  EXPECT_EQ(p["keep"], 5);
  EXPECT_EQ(p["mode"], "live");
  EXPECT_EQ(p["fail_fast"], true);
  ASSERT_TRUE(p["sysctls"].is_array());
  EXPECT_EQ(p["sysctls"][0], "net/core/somaxconn");
}

TEST(ScenarioParams, MissingEqualsSignIsAnErrorNamingTheParam) {
  try {
    parse_params({"keep"});
    FAIL() << "no error";
  } catch (const KregError& e) {
    EXPECT_NE(std::string(e.what()).find("keep"), std::string::npos);
    EXPECT_EQ(e.exit_code(), 2);
  }
}

}  // namespace
}  // namespace kreg
