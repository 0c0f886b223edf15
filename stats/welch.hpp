// Welch's unequal-variance t-test, from raw samples or from summaries
// (mean, standard deviation, n) when only those were recorded.
#pragma once

#include <vector>

namespace kreg::stats {

struct Summary {
  double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1)
  double n = 0;
};

Summary summarize(const std::vector<double>& samples);

struct WelchResult {
  bool valid = false;  // false: n < 2 on a side, or a non-finite input
  double diff = 0;     // mean(b) - mean(a)
  double t = 0;        // diff / standard error; +-inf when both variances are 0 and the means differ
  double df = 0;       // Welch-Satterthwaite degrees of freedom
  double p_two_sided = 1;
  double p_greater = 1;  // one-sided, H1: mean(b) > mean(a)
  double p_less = 1;     // one-sided, H1: mean(b) < mean(a)
};

// Tests b against a (b - a).
WelchResult welch_test(const Summary& a, const Summary& b);
WelchResult welch_test(const std::vector<double>& a, const std::vector<double>& b);

// The q quantile of Student's t with df degrees of freedom (Boost.Math).
double students_t_quantile(double df, double q);

}  // namespace kreg::stats
