// `kreg compare`'s rules on synthetic records (not measured), each built to sit
// on one side of a rule: a flat baseline against a clear but negligible slope,
// one / two / most points regressed, a slowdown the timer's own cost rises with
// (a loaded host), and raw samples that switch the point test to Mann-Whitney.
// The same rules on real records are in compare_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/compare/compare_command.hpp"

namespace kreg {
namespace {

TEST(Compare, FlatBaselineNeedsAPracticalGrowth) {
  // Synthetic series (not measured): a flat baseline and a new series whose
  // slope is statistically clear but adds only 2% at the largest count. The
  // slope's relative change is huge (the baseline slope is ~0); the absolute
  // rule keeps it from counting.
  auto make = [](double slope, double wobble) {
    nlohmann::json r = {
        {"schema", "kreg.job"}, {"job_id", "synthetic"}, {"status", "ok"}, {"points", nlohmann::json::array()}};
    int i = 0;
    for (double x : {0.0, 250.0, 500.0, 750.0, 1000.0}) {
      double median = 10000 + slope * x + (i++ % 2 ? wobble : -wobble);
      r["points"].push_back({{"target", x},
                             {"created", x},
                             {"metrics",
                              {{"x_open",
                                {{"median_ns", median},
                                 {"p90_ns", median * 1.5},
                                 {"mean_ns", median},
                                 {"stddev_ns", median},
                                 {"samples", 100}}}}}});
    }
    return r;
  };
  auto result = compare_records(make(0.001, 1), make(0.2, 1), CompareSettings{});
  ASSERT_EQ(result.size(), 1u);
  const MetricComparison& m = result[0];
  ASSERT_TRUE(m.slope.compared);
  EXPECT_TRUE(m.slope.significant);
  EXPECT_FALSE(m.slope.practical);  // 200 ns extra at 1000 vs a 10 us baseline: 2%
  EXPECT_EQ(m.verdict, Verdict::Ok);
  // Ten times that growth (20% at 1000) is practical.
  EXPECT_EQ(compare_records(make(0.001, 1), make(2.0, 1), CompareSettings{})[0].slope.regressed, true);
}

// Synthetic (not measured): four points of one metric, the new side's medians as given (the baseline
// 10 us everywhere, 2% spread), and the timer's own cost per point on each side.
nlohmann::json four_points(const std::vector<double>& medians, const std::vector<double>& timer) {
  nlohmann::json r = {
      {"schema", "kreg.job"}, {"job_id", "synthetic"}, {"status", "ok"}, {"points", nlohmann::json::array()}};
  for (size_t i = 0; i < medians.size(); ++i) {
    double m = medians[i], x = 1000.0 * i;
    r["points"].push_back(
        {{"target", x},
         {"created", x},
         {"metrics",
          {{"z_read",
            {{"median_ns", m}, {"p90_ns", m * 1.04}, {"mean_ns", m}, {"stddev_ns", m * 0.02}, {"samples", 100}}},
           {"timer_overhead",
            {{"median_ns", timer[i]},
             {"p90_ns", timer[i]},
             {"mean_ns", timer[i]},
             {"stddev_ns", 5},
             {"samples", 100}}}}}});
  }
  return r;
}

TEST(Compare, MostSharedPointsAndNeverOneMakeARegression) {
  nlohmann::json base = four_points({10000, 10000, 10000, 10000}, {200, 200, 200, 200});
  // one point 60% slower: never a regression by default (a noisy point under TCG)
  auto one = compare_records(base, four_points({10000, 16000, 10000, 10000}, {200, 200, 200, 200}), CompareSettings{});
  ASSERT_EQ(one.size(), 1u);  // timer_overhead is not judged
  EXPECT_EQ(one[0].points_regressed, 1);
  EXPECT_EQ(one[0].verdict, Verdict::Ok);
  // two of four: not most of them (a stretch of a loaded host), unless asked for 2
  nlohmann::json two = four_points({10000, 16000, 16000, 10000}, {200, 200, 200, 200});
  EXPECT_EQ(compare_records(base, two, CompareSettings{})[0].verdict, Verdict::Ok);
  CompareSettings s2;
  s2.min_regressed_points = 2;
  EXPECT_EQ(compare_records(base, two, s2)[0].verdict, Verdict::Regression);
  // three of four: a regression
  auto three =
      compare_records(base, four_points({10000, 16000, 16000, 16000}, {200, 200, 200, 200}), CompareSettings{});
  EXPECT_EQ(three[0].verdict, Verdict::Regression) << three[0].reason;
  EXPECT_EQ(three[0].reason, "3/4 points");
  EXPECT_EQ(CompareSettings{}.points_needed(3), 2u);
  EXPECT_EQ(CompareSettings{}.points_needed(4), 3u);
  EXPECT_EQ(CompareSettings{}.points_needed(1), 2u);  // one shared point can never regress alone
}

TEST(Compare, TheTimersOwnRiseIsNotARegression) {
  // Every point 60% slower, and the timer's own cost 1.6x as well: the host was loaded, not the kernel slower.
  nlohmann::json base = four_points({10000, 10000, 10000, 10000}, {200, 200, 200, 200});
  auto loaded =
      compare_records(base, four_points({16000, 16000, 16000, 16000}, {320, 320, 320, 320}), CompareSettings{});
  EXPECT_EQ(loaded[0].verdict, Verdict::Ok) << loaded[0].reason;
  EXPECT_DOUBLE_EQ(loaded[0].points[0].host_worse, 1.6);
  EXPECT_FALSE(loaded[0].points[0].practical);
  EXPECT_TRUE(loaded[0].points[0].significant);
  // The same slowdown with a steady timer is a regression; so is one far beyond the timer's rise.
  EXPECT_EQ(compare_records(base, four_points({16000, 16000, 16000, 16000}, {200, 200, 200, 200}), CompareSettings{})[0]
                .verdict,
            Verdict::Regression);
  EXPECT_EQ(compare_records(base, four_points({40000, 40000, 40000, 40000}, {320, 320, 320, 320}), CompareSettings{})[0]
                .verdict,
            Verdict::Regression);
}

TEST(Compare, RawSamplesUseMannWhitney) {
  // Synthetic (kreg records summaries today): a metric with its raw samples,
  // the new side 30% slower on every sample, heavy tail on both.
  auto make = [](double scale) {
    nlohmann::json r = {
        {"schema", "kreg.job"}, {"job_id", "synthetic"}, {"status", "ok"}, {"points", nlohmann::json::array()}};
    for (double x : {0.0, 1000.0}) {
      std::vector<double> raw;
      for (int i = 0; i < 40; ++i) raw.push_back(scale * (10000 + 50 * i + (i % 20 == 0 ? 500000 : 0)));
      std::vector<double> sorted = raw;
      std::sort(sorted.begin(), sorted.end());
      r["points"].push_back({{"target", x},
                             {"created", x},
                             {"metrics",
                              {{"y_stat",
                                {{"median_ns", sorted[20]},
                                 {"p90_ns", sorted[36]},
                                 {"mean_ns", 0},
                                 {"samples", 40},
                                 {"samples_ns", raw}}}}}});
    }
    return r;
  };
  auto result = compare_records(make(1.0), make(1.3), CompareSettings{});
  ASSERT_EQ(result.size(), 1u);
  const MetricComparison& m = result[0];
  EXPECT_EQ(m.test, "mann-whitney");
  ASSERT_EQ(m.points.size(), 2u);
  EXPECT_TRUE(m.points[0].regressed);
  EXPECT_LT(m.points[0].p_worse, 1e-6);
  EXPECT_EQ(m.verdict, Verdict::Regression);
  EXPECT_FALSE(m.slope.compared);  // two points: no slope interval
}

}  // namespace
}  // namespace kreg
