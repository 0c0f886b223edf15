#include "stats/linear_fit.hpp"

#include <cmath>
#include <stdexcept>

#include "stats/welch.hpp"

namespace kreg::stats {

LinearFit linear_fit(const std::vector<double>& x, const std::vector<double>& y, double confidence) {
  if (x.size() != y.size()) throw std::invalid_argument("linear_fit: x and y differ in length");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("linear_fit: confidence must be in (0, 1)");
  LinearFit f;
  f.n = x.size();
  f.confidence = confidence;
  if (f.n < 2) return f;
  double n = static_cast<double>(f.n), mx = 0, my = 0;
  for (size_t i = 0; i < f.n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < f.n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0) return f;
  f.valid = true;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  double rss = 0;
  for (size_t i = 0; i < f.n; ++i) {
    double e = y[i] - f.at(x[i]);
    rss += e * e;
  }
  f.r_squared = syy > 0 ? 1 - rss / syy : 1;
  if (f.n < 3) {
    f.slope_lo = f.slope_hi = f.slope;
    f.intercept_lo = f.intercept_hi = f.intercept;
    return f;
  }
  double s2 = rss / (n - 2);
  f.residual_sd = std::sqrt(s2);
  f.slope_se = std::sqrt(s2 / sxx);
  f.intercept_se = std::sqrt(s2 * (1 / n + mx * mx / sxx));
  double q = students_t_quantile(n - 2, 1 - (1 - confidence) / 2);
  f.has_ci = true;
  f.slope_lo = f.slope - q * f.slope_se;
  f.slope_hi = f.slope + q * f.slope_se;
  f.intercept_lo = f.intercept - q * f.intercept_se;
  f.intercept_hi = f.intercept + q * f.intercept_se;
  return f;
}

}  // namespace kreg::stats
