// The statistics behind `kreg compare`, on textbook data with published
// results (R's own examples), so a wrong formula cannot agree with itself.
#include <gtest/gtest.h>

#include <vector>

#include "stats/linear_fit.hpp"
#include "stats/mann_whitney.hpp"
#include "stats/welch.hpp"

namespace kreg::stats {
namespace {

// R's `sleep` data (Cushny & Peebles): extra hours of sleep under two drugs.
const std::vector<double> kSleep1{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
const std::vector<double> kSleep2{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

TEST(Welch, SleepDataMatchesR) {
  // R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939
  // (group 1 minus group 2; kreg tests b - a, so the sign flips).
  WelchResult w = welch_test(kSleep1, kSleep2);
  ASSERT_TRUE(w.valid);
  EXPECT_NEAR(w.t, 1.8608, 1e-4);
  EXPECT_NEAR(w.df, 17.776, 1e-3);
  EXPECT_NEAR(w.p_two_sided, 0.07939, 1e-5);
  EXPECT_NEAR(w.p_greater, 0.07939 / 2, 1e-5);
  EXPECT_NEAR(w.p_less, 1 - 0.07939 / 2, 1e-5);
  EXPECT_NEAR(w.diff, 1.58, 1e-12);
}

TEST(Welch, FromSummariesEqualsFromSamples) {
  Summary a = summarize(kSleep1), b = summarize(kSleep2);
  EXPECT_NEAR(a.mean, 0.75, 1e-12);
  EXPECT_NEAR(a.sd, 1.789010, 1e-6);
  EXPECT_NEAR(b.sd, 2.002249, 1e-6);
  WelchResult w = welch_test(a, b);
  EXPECT_NEAR(w.t, 1.8608, 1e-4);
  EXPECT_NEAR(w.p_two_sided, 0.07939, 1e-5);
}

TEST(Welch, DegenerateInputs) {
  EXPECT_FALSE(welch_test(Summary{1, 1, 1}, Summary{2, 1, 10}).valid);  // n < 2
  WelchResult same = welch_test(Summary{5, 0, 10}, Summary{5, 0, 10});
  EXPECT_TRUE(same.valid);
  EXPECT_EQ(same.p_two_sided, 1);
  EXPECT_EQ(same.p_greater, 1);
  WelchResult apart = welch_test(Summary{5, 0, 10}, Summary{6, 0, 10});
  EXPECT_EQ(apart.p_greater, 0);
  EXPECT_EQ(apart.p_less, 1);
}

TEST(StudentsT, Quantiles) {
  EXPECT_NEAR(students_t_quantile(2, 0.995), 9.924843, 1e-6);
  EXPECT_NEAR(students_t_quantile(1, 0.995), 63.656741, 1e-5);
  EXPECT_NEAR(students_t_quantile(48, 0.975), 2.010635, 1e-6);
}

TEST(MannWhitney, ExactSmallSampleMatchesR) {
  // R's ?wilcox.test example (Hollander & Wolfe): x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91,
  // 1.64, 0.73, 1.46); y <- c(1.15, 0.88, 0.90, 0.74, 1.21); wilcox.test(x, y, alternative = "g")
  // -> W = 35, p-value = 0.1272 (exact; 382 of the C(15,5) = 3003 rank arrangements give W >= 35).
  std::vector<double> x{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
  std::vector<double> y{1.15, 0.88, 0.90, 0.74, 1.21};
  MannWhitneyResult r = mann_whitney(y, x);  // b = x: H1 x tends to be larger
  ASSERT_TRUE(r.valid);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 35);
  EXPECT_NEAR(r.p_greater, 382.0 / 3003, 1e-12);
  EXPECT_NEAR(r.p_greater, 0.1272, 1e-4);
  EXPECT_NEAR(r.p_two_sided, 2 * 382.0 / 3003, 1e-12);
  // The other way round: U of y = 5 * 10 - 35.
  MannWhitneyResult back = mann_whitney(x, y);
  EXPECT_DOUBLE_EQ(back.u, 15);
  EXPECT_NEAR(back.p_less, 382.0 / 3003, 1e-12);
}

TEST(MannWhitney, TiesUseTheNormalApproximationLikeR) {
  // R: wilcox.test(extra ~ group, data = sleep) -> W = 25.5, p-value = 0.06933
  // ("cannot compute exact p-value with ties": normal approximation, tie and continuity corrected).
  MannWhitneyResult r = mann_whitney(kSleep2, kSleep1);  // W counts group 1 over group 2
  ASSERT_TRUE(r.valid);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 25.5);
  EXPECT_NEAR(r.p_two_sided, 0.06933, 1e-5);
  EXPECT_NEAR(r.z, -1.816279, 1e-6);
  EXPECT_LT(r.p_less, 0.05);
  EXPECT_GT(r.p_greater, 0.9);
}

TEST(MannWhitney, SeparatedAndIdenticalSamples) {
  std::vector<double> low, high;
  for (int i = 0; i < 60; ++i) {  // large: normal approximation
    low.push_back(i);
    high.push_back(1000 + i);
  }
  MannWhitneyResult r = mann_whitney(low, high);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 3600);
  EXPECT_LT(r.p_greater, 1e-15);
  MannWhitneyResult same = mann_whitney(std::vector<double>(20, 1.0), std::vector<double>(20, 1.0));
  EXPECT_DOUBLE_EQ(same.p_two_sided, 1);
  // Exact with 3 vs 3 fully separated: one arrangement in C(6,3) = 20.
  MannWhitneyResult tiny = mann_whitney({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(tiny.exact);
  EXPECT_NEAR(tiny.p_greater, 1.0 / 20, 1e-12);
  EXPECT_FALSE(mann_whitney({}, {1.0}).valid);
}

TEST(LinearFit, ExactLineHasAZeroWidthInterval) {
  std::vector<double> x{0, 250, 500, 1000}, y;
  for (double v : x) y.push_back(3 + 2 * v);
  LinearFit f = linear_fit(x, y, 0.99);
  ASSERT_TRUE(f.valid);
  ASSERT_TRUE(f.has_ci);
  EXPECT_NEAR(f.slope, 2, 1e-12);
  EXPECT_NEAR(f.intercept, 3, 1e-9);
  EXPECT_NEAR(f.slope_lo, 2, 1e-9);
  EXPECT_NEAR(f.slope_hi, 2, 1e-9);
  EXPECT_NEAR(f.r_squared, 1, 1e-12);
  EXPECT_NEAR(f.at(2000), 4003, 1e-9);
}

TEST(LinearFit, CarsMatchesR) {
  // R: fit <- lm(dist ~ speed, data = cars); coef: -17.579095, 3.932409; SE 6.758440, 0.415513;
  // residual standard error 15.38 on 48 df; confint(fit): speed 3.096964 4.767853;
  // confint(fit, level = 0.99): speed 2.817919 5.046899.
  std::vector<double> speed{4,  4,  7,  7,  8,  9,  10, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13,
                            13, 13, 14, 14, 14, 14, 15, 15, 15, 16, 16, 17, 17, 17, 18, 18, 18,
                            18, 19, 19, 19, 20, 20, 20, 20, 20, 22, 23, 24, 24, 24, 24, 25};
  std::vector<double> dist{2,  10, 4,  22, 16, 10, 18, 26, 34, 17, 28, 14, 20, 24, 28,  26, 34,
                           34, 46, 26, 36, 60, 80, 20, 26, 54, 32, 40, 32, 40, 50, 42,  56, 76,
                           84, 36, 46, 68, 32, 48, 52, 56, 64, 66, 54, 70, 92, 93, 120, 85};
  LinearFit f = linear_fit(speed, dist, 0.95);
  ASSERT_TRUE(f.has_ci);
  EXPECT_EQ(f.n, 50u);
  EXPECT_NEAR(f.slope, 3.932409, 1e-6);
  EXPECT_NEAR(f.intercept, -17.579095, 1e-6);
  EXPECT_NEAR(f.slope_se, 0.415513, 1e-6);
  EXPECT_NEAR(f.intercept_se, 6.758440, 1e-6);
  EXPECT_NEAR(f.residual_sd, 15.379587, 1e-6);
  EXPECT_NEAR(f.slope_lo, 3.096964, 1e-6);
  EXPECT_NEAR(f.slope_hi, 4.767853, 1e-6);
  LinearFit f99 = linear_fit(speed, dist, 0.99);
  EXPECT_NEAR(f99.slope_lo, 2.817919, 1e-6);
  EXPECT_NEAR(f99.slope_hi, 5.046899, 1e-6);
}

TEST(LinearFit, TooFewPoints) {
  EXPECT_FALSE(linear_fit({1}, {2}).valid);
  EXPECT_FALSE(linear_fit({1, 1, 1}, {2, 3, 4}).valid);  // every x equal
  LinearFit two = linear_fit({0, 10}, {5, 25});
  EXPECT_TRUE(two.valid);
  EXPECT_FALSE(two.has_ci);
  EXPECT_DOUBLE_EQ(two.slope, 2);
  EXPECT_THROW(linear_fit({1, 2}, {1}), std::invalid_argument);
}

}  // namespace
}  // namespace kreg::stats
