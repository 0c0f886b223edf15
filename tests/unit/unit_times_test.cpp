// Longest-first scheduling: a unit's last wall time here orders the next
// run; units never seen are estimated from the generator table; the times
// survive a save and a reload, and a changed job starts from the estimate.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/shard_plan.hpp"
#include "harness/matrix/suite.hpp"
#include "harness/matrix/unit_times.hpp"

namespace kreg {
namespace {

namespace fs = std::filesystem;

const char* kSuite = R"(name = "t"
kernels = ["debian:bookworm", "debian:trixie"]
cgroup_modes = ["v1"]
[[job]]
id = "netns"
scenario = "netns"
targets = [0, 50]
params = { mode = "live" }
[[job]]
id = "memcg"
scenario = "memcg-churn"
targets = [0, 1000, 5000]
)";

std::vector<MatrixUnit> units_of(const char* toml) { return plan_matrix(parse_suite(toml, "t.toml"), {"6.1", "6.12"}); }

std::vector<std::string> ids(const std::vector<MatrixUnit>& units, const std::vector<size_t>& order) {
  std::vector<std::string> out;
  for (size_t i : order) out.push_back(units[i].unit_id);
  return out;
}

TEST(UnitTimes, UnseenUnitsGoByTheEstimateTheLongestFirst) {
  auto units = units_of(kSuite);
  ASSERT_EQ(units.size(), 4u);
  UnitTimes none("");
  auto order = longest_first(units, {0, 1, 2, 3}, none);
  // 5000 memcgs outweigh 50 netns on every kernel; ties keep the plan's order.
  EXPECT_EQ(ids(units, order), (std::vector<std::string>{"6.1/memcg/v1", "6.12/memcg/v1", "6.1/netns", "6.12/netns"}));
  EXPECT_GT(estimate_unit_cost_s(units[order[0]].job), estimate_unit_cost_s(units[order[3]].job));
}

TEST(UnitTimes, MeasuredTimesOrderTheNextRunAndSurviveAReload) {
  auto units = units_of(kSuite);
  const fs::path file = fs::temp_directory_path() / ("kreg-unit-times-" + std::to_string(getpid()) + ".json");
  fs::remove(file);
  {
    UnitTimes times(file.string());
    for (const auto& u : units) EXPECT_FALSE(times.known(u));
    // Here 6.12's netns unit was the slowest of all, 6.1's netns the fastest.
    times.remember(units[0], 10);
    times.remember(units[1], 95);
    times.remember(units[2], 40);
    times.remember(units[3], 41);
    times.save();
  }
  UnitTimes reloaded(file.string());
  EXPECT_TRUE(reloaded.known(units[1]));
  EXPECT_DOUBLE_EQ(reloaded.expected_s(units[1]), 95);
  auto order = longest_first(units, {0, 1, 2, 3}, reloaded);
  EXPECT_EQ(order, (std::vector<size_t>{1, 3, 2, 0}));
  // Only what is still to run is ordered.
  EXPECT_EQ(longest_first(units, {0, 2}, reloaded), (std::vector<size_t>{2, 0}));
  fs::remove(file);
}

TEST(UnitTimes, AChangedJobStartsFromTheEstimateAgain) {
  auto units = units_of(kSuite);
  UnitTimes times("");
  times.remember(units[0], 500);
  auto changed = units;
  changed[0].job["targets"] = {0, 60};
  EXPECT_TRUE(times.known(units[0]));
  EXPECT_FALSE(times.known(changed[0]));
  EXPECT_DOUBLE_EQ(times.expected_s(changed[0]), estimate_unit_cost_s(changed[0].job));
}

TEST(UnitTimes, AnUnreadableOrCorruptFileIsAColdStart) {
  const fs::path file = fs::temp_directory_path() / ("kreg-unit-times-bad-" + std::to_string(getpid()) + ".json");
  { std::ofstream(file) << "{not json"; }
  auto units = units_of(kSuite);
  UnitTimes times(file.string());
  EXPECT_FALSE(times.known(units[0]));
  fs::remove(file);
}

}  // namespace
}  // namespace kreg
