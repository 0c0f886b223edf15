// Ordinary least squares y = intercept + slope * x with Student-t confidence
// intervals (n - 2 degrees of freedom).
#pragma once

#include <cstddef>
#include <vector>

namespace kreg::stats {

struct LinearFit {
  bool valid = false;  // false: fewer than 2 points, or every x equal
  std::size_t n = 0;
  double slope = 0, intercept = 0;
  double slope_se = 0, intercept_se = 0;  // 0 when n == 2 (no residual degrees of freedom)
  double residual_sd = 0;
  double r_squared = 0;
  bool has_ci = false;    // n >= 3
  double confidence = 0;  // two-sided level of the intervals, e.g. 0.99
  double slope_lo = 0, slope_hi = 0;
  double intercept_lo = 0, intercept_hi = 0;

  double at(double x) const { return intercept + slope * x; }
};

LinearFit linear_fit(const std::vector<double>& x, const std::vector<double>& y, double confidence = 0.95);

}  // namespace kreg::stats
