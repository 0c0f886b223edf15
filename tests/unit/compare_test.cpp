// `kreg compare` on real records (tests/fixtures/runs/default-4k-netns: the
// netns jobs of a real default-suite run, README there).
//
// The construction: on one kernel, baseline = the netns/dead record, new = the
// netns/live record. Both jobs create the same numbers of network namespaces
// (0, 500, 1000 shared targets) on the same boot configuration and time the same
// sysctl paths; the only difference is whether the namespaces stay alive. Live
// netns put their per-netns ipv6/core sysctl dentries in the same /proc/sys hash
// chains, so the ipv6 path's open() grows by ~0.4 us per netns, while the ipv4
// control (net/ipv4/conf/all/forwarding, which no child netns shadows here)
// stays flat in both. So this pair holds, in real data, one series that grows
// with the object count and one that does not: compare must flag the first and
// pass the second, on every kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "harness/compare/compare_command.hpp"
#include "harness/compare/compare_output.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

const std::string kRun = std::string(KREG_SOURCE_DIR) + "/tests/fixtures/runs/default-4k-netns";
const char* kKernels[] = {"5.10.0-32-cloud-amd64", "6.1.0-50-cloud-amd64", "6.12.117+deb13-cloud-amd64"};

nlohmann::json record(const std::string& kernel, const std::string& job) {
  CompareSide side = load_compare_side(kRun + "/jobs/" + kernel + "/" + job + ".json");
  EXPECT_TRUE(side.single_record);
  EXPECT_EQ(side.records.at(0).kernel, kernel);
  return side.records.at(0).record;
}

const MetricComparison& metric(const std::vector<MetricComparison>& all, const std::string& name) {
  for (const auto& m : all)
    if (m.metric == name) return m;
  throw std::runtime_error("no metric " + name);
}

TEST(Compare, FlagsTheGrowingIpv6PathAndPassesTheIpv4Control) {
  for (const char* kernel : kKernels) {
    SCOPED_TRACE(kernel);
    auto result = compare_records(record(kernel, "netns__dead"), record(kernel, "netns__live"), CompareSettings{});

    const MetricComparison& ipv6 = metric(result, "sysctl_ipv6_disable_ipv6_open");
    EXPECT_EQ(ipv6.verdict, Verdict::Regression) << ipv6.reason;
    EXPECT_EQ(ipv6.unit, "ns");
    EXPECT_EQ(ipv6.worse, "higher");
    // The slope: flat baseline (its interval holds 0), new ~300-450 ns per live netns,
    // intervals apart, hundreds of microseconds extra at 1000 netns.
    ASSERT_TRUE(ipv6.slope.compared) << ipv6.slope.why_not;
    EXPECT_TRUE(ipv6.slope.regressed);
    EXPECT_LE(ipv6.slope.base.slope_lo, 0);
    EXPECT_GE(ipv6.slope.base.slope_hi, 0);
    EXPECT_GT(ipv6.slope.cand.slope, 300);
    EXPECT_LT(ipv6.slope.cand.slope, 450);
    EXPECT_GT(ipv6.slope.cand.slope_lo, ipv6.slope.base.slope_hi);
    EXPECT_EQ(ipv6.slope.x_lo, 0);
    EXPECT_EQ(ipv6.slope.x_hi, 1000);
    EXPECT_GT(ipv6.slope.extra, 200e3);
    // The points: 0, 500, 1000 are shared (live also has 250); 0 netns is the same
    // state in both jobs, so only 500 and 1000 regress.
    ASSERT_EQ(ipv6.points.size(), 3u);
    EXPECT_FALSE(ipv6.points[0].regressed);
    EXPECT_TRUE(ipv6.points[1].regressed);
    EXPECT_TRUE(ipv6.points[2].regressed);
    for (const auto& p : ipv6.points) {
      EXPECT_EQ(p.test, "welch");  // the records keep mean/stddev/n, no raw samples
      EXPECT_EQ(p.base_samples, 100);
    }
    EXPECT_LT(ipv6.points[2].p_worse, 1e-20);
    EXPECT_TRUE(ipv6.points[2].non_overlap);

    const MetricComparison& ipv4 = metric(result, "sysctl_ipv4_forwarding_open");
    EXPECT_EQ(ipv4.verdict, Verdict::Ok) << ipv4.reason;
    ASSERT_TRUE(ipv4.slope.compared);
    EXPECT_FALSE(ipv4.slope.regressed);
    EXPECT_LT(std::fabs(ipv4.slope.cand.slope), 5);  // ns per netns
    EXPECT_EQ(ipv4.points_regressed, 0);
    EXPECT_EQ(ipv4.points_tested, 3);

    // The same holds for the core sysctl (grows) and both stat() variants.
    EXPECT_EQ(metric(result, "sysctl_core_somaxconn_open").verdict, Verdict::Regression);
    EXPECT_EQ(metric(result, "sysctl_ipv6_disable_ipv6_stat").verdict, Verdict::Regression);
    EXPECT_EQ(metric(result, "sysctl_ipv4_forwarding_stat").verdict, Verdict::Ok);
    // timer_overhead is the instrument's calibration figure: never judged at all.
    EXPECT_TRUE(std::none_of(result.begin(), result.end(), [](auto& m) { return m.metric == "timer_overhead"; }));
  }
}

TEST(Compare, TheReverseIsAnImprovementNotARegression) {
  auto result = compare_records(record("6.1.0-50-cloud-amd64", "netns__live"),
                                record("6.1.0-50-cloud-amd64", "netns__dead"), CompareSettings{});
  for (const auto& m : result) EXPECT_NE(m.verdict, Verdict::Regression) << m.metric;
  EXPECT_EQ(metric(result, "sysctl_ipv6_disable_ipv6_open").verdict, Verdict::Improved);
  EXPECT_EQ(metric(result, "sysctl_ipv4_forwarding_open").verdict, Verdict::Ok);
}

TEST(Compare, ARecordAgainstItselfIsOk) {
  auto live = record("6.12.117+deb13-cloud-amd64", "netns__live");
  for (const auto& m : compare_records(live, live, CompareSettings{})) {
    EXPECT_EQ(m.verdict, Verdict::Ok) << m.metric << ": " << m.reason;
    EXPECT_EQ(m.points_regressed, 0);
  }
}

TEST(Compare, PerMetricThresholdDecidesThePracticalPart) {
  // With a 100000% threshold for the ipv6 metric, its growth is no longer
  // "practical", although still significant; the core metric keeps the default.
  CompareSettings s;
  s.threshold_for["sysctl_ipv6_disable_ipv6_open"] = 100000;
  auto result =
      compare_records(record("6.1.0-50-cloud-amd64", "netns__dead"), record("6.1.0-50-cloud-amd64", "netns__live"), s);
  const MetricComparison& ipv6 = metric(result, "sysctl_ipv6_disable_ipv6_open");
  EXPECT_EQ(ipv6.verdict, Verdict::Ok);
  EXPECT_TRUE(ipv6.slope.significant);
  EXPECT_FALSE(ipv6.slope.practical);
  EXPECT_EQ(ipv6.threshold_pct, 100000);
  EXPECT_EQ(metric(result, "sysctl_core_somaxconn_open").verdict, Verdict::Regression);
}

TEST(Compare, RunAndKernelSelection) {
  CompareSide all = load_compare_side(kRun);
  EXPECT_EQ(all.kernels().size(), 3u);
  EXPECT_EQ(all.run_id, "default-4k-netns");
  // "6.1" is 6.1.0-50, not 6.12.117
  CompareSide six_one = load_compare_side(kRun + ":6.1");
  ASSERT_EQ(six_one.kernels().size(), 1u);
  EXPECT_EQ(six_one.kernels()[0], "6.1.0-50-cloud-amd64");
  EXPECT_EQ(six_one.records.size(), 2u);
  EXPECT_EQ(load_compare_side(kRun + ":6.12").kernels()[0], "6.12.117+deb13-cloud-amd64");
  EXPECT_EQ(load_compare_side(kRun + ":5.10.0-32-cloud-amd64").kernels()[0], "5.10.0-32-cloud-amd64");
  EXPECT_THROW(load_compare_side(kRun + ":9.9"), KregError);
  EXPECT_THROW(load_compare_side(kRun + ":6"), KregError);  // ambiguous: 6.1 and 6.12
  EXPECT_THROW(load_compare_side("/nonexistent/run"), KregError);
}

TEST(Compare, RunsPairRecordsByJob) {
  // 5.10 vs 6.12 of the same run: netns/dead with netns/dead, netns/live with netns/live.
  CompareResult r =
      compare_sides(load_compare_side(kRun + ":5.10"), load_compare_side(kRun + ":6.12"), CompareSettings{}, false);
  EXPECT_FALSE(r.multi_kernel);
  ASSERT_EQ(r.metrics.size(), 12u);  // 6 judged metrics x 2 jobs (timer_overhead is not judged)
  for (const auto& m : r.metrics) {
    EXPECT_TRUE(m.job == "netns/dead" || m.job == "netns/live") << m.job;
    EXPECT_TRUE(m.job_new.empty());
    EXPECT_NE(m.verdict, Verdict::NotCompared) << m.reason;
  }
  // The ipv4 control is flat on both kernels.
  for (const auto& m : r.metrics) {
    if (m.metric == "sysctl_ipv4_forwarding_open") {
      EXPECT_EQ(m.verdict, Verdict::Ok) << m.job;
    }
  }
  // A run against itself, kernel by kernel: every kernel paired, nothing regresses.
  CompareResult self = compare_sides(load_compare_side(kRun), load_compare_side(kRun), CompareSettings{}, false);
  EXPECT_TRUE(self.multi_kernel);
  EXPECT_EQ(self.metrics.size(), 36u);
  EXPECT_EQ(self.exit_code(), 0);
}

TEST(Compare, MissingMetricsAndUnusableJobsAreNotCompared) {
  nlohmann::json dead = record("6.1.0-50-cloud-amd64", "netns__dead");
  nlohmann::json live = record("6.1.0-50-cloud-amd64", "netns__live");
  // Drop one metric from every baseline point: that metric is "missing in baseline".
  nlohmann::json without = dead;
  for (auto& p : without["points"]) p["metrics"].erase("sysctl_ipv4_forwarding_stat");
  auto result = compare_records(without, live, CompareSettings{});
  const MetricComparison& gone = metric(result, "sysctl_ipv4_forwarding_stat");
  EXPECT_EQ(gone.verdict, Verdict::NotCompared);
  EXPECT_EQ(gone.reason, "missing in baseline");
  EXPECT_EQ(metric(result, "sysctl_ipv6_disable_ipv6_open").verdict, Verdict::Regression);

  // Too few samples at every point and too few points for a slope: not compared, and why.
  nlohmann::json few = dead;
  for (auto& p : few["points"]) p["metrics"]["sysctl_ipv6_disable_ipv6_open"]["samples"] = 3;
  few["points"].erase(few["points"].begin() + 1);  // 2 points left: no slope interval
  auto few_result = compare_records(few, live, CompareSettings{});
  const MetricComparison& thin = metric(few_result, "sysctl_ipv6_disable_ipv6_open");
  EXPECT_EQ(thin.verdict, Verdict::NotCompared);
  EXPECT_NE(thin.reason.find("too few samples"), std::string::npos) << thin.reason;
  EXPECT_NE(thin.reason.find("too few points"), std::string::npos) << thin.reason;

  // A job the kernel could not run: every metric of the other side, with the recorded reason.
  nlohmann::json skipped = live;
  skipped["status"] = "skipped";
  skipped["skip_reason"] = "needs something";
  skipped["points"] = nlohmann::json::array();
  auto none = compare_records(dead, skipped, CompareSettings{});
  ASSERT_EQ(none.size(), 6u);
  for (const auto& m : none) {
    EXPECT_EQ(m.verdict, Verdict::NotCompared);
    EXPECT_EQ(m.reason, "new skipped: needs something");
  }
}

TEST(Compare, OutputsNameEveryMetric) {
  CompareSide base = load_compare_side(kRun + "/jobs/6.1.0-50-cloud-amd64/netns__dead.json");
  CompareSide cand = load_compare_side(kRun + "/jobs/6.1.0-50-cloud-amd64/netns__live.json");
  CompareResult r = compare_sides(base, cand, CompareSettings{}, false);
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.count(Verdict::Regression), 4);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("netns/dead"), std::string::npos);
  EXPECT_EQ(r.notes[1].rfind("timer_overhead: calibration figure", 0), 0u) << r.notes[1];

  std::string junit = render_compare_junit(r);
  EXPECT_NE(junit.find("<testsuites name=\"kreg compare\" tests=\"6\" failures=\"4\" skipped=\"0\""), std::string::npos)
      << junit.substr(0, 300);
  // one test case per metric; the ipv6 one fails, the ipv4 control passes
  size_t ipv6 = junit.find("name=\"sysctl_ipv6_disable_ipv6_open\"");
  size_t ipv4 = junit.find("name=\"sysctl_ipv4_forwarding_open\"");
  ASSERT_NE(ipv6, std::string::npos);
  ASSERT_NE(ipv4, std::string::npos);
  EXPECT_LT(junit.find("<failure", ipv6), junit.find("</testcase>", ipv6));
  EXPECT_GT(junit.find("<failure", ipv4), junit.find("</testcase>", ipv4));

  std::string md = render_compare_markdown(r);
  EXPECT_NE(md.find("4 regressions"), std::string::npos);
  EXPECT_NE(md.find("`sysctl_ipv6_disable_ipv6_open`"), std::string::npos);
  EXPECT_NE(md.find("Welch's t"), std::string::npos);
  std::string table = render_compare_table(r);
  EXPECT_NE(table.find("REGRESSION (slope + 2/3 points)"), std::string::npos) << table;
}

}  // namespace
}  // namespace kreg
