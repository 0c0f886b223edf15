#include "stats/welch.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace kreg::stats {

Summary summarize(const std::vector<double>& samples) {
  Summary s;
  s.n = static_cast<double>(samples.size());
  if (samples.empty()) return s;
  double sum = 0;
  for (double v : samples) sum += v;
  s.mean = sum / s.n;
  double ss = 0;
  for (double v : samples) ss += (v - s.mean) * (v - s.mean);
  s.sd = samples.size() > 1 ? std::sqrt(ss / (s.n - 1)) : 0;
  return s;
}

WelchResult welch_test(const Summary& a, const Summary& b) {
  WelchResult r;
  if (a.n < 2 || b.n < 2) return r;
  for (double v : {a.mean, a.sd, b.mean, b.sd})
    if (!std::isfinite(v)) return r;
  r.valid = true;
  r.diff = b.mean - a.mean;
  double va = a.sd * a.sd / a.n, vb = b.sd * b.sd / b.n;
  double se2 = va + vb;
  if (se2 <= 0) {  // both samples constant: the means either agree or differ with certainty
    r.df = a.n + b.n - 2;
    r.t = r.diff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), r.diff);
    r.p_two_sided = r.diff == 0 ? 1 : 0;
    r.p_greater = r.diff > 0 ? 0 : 1;
    r.p_less = r.diff < 0 ? 0 : 1;
    if (r.diff == 0) r.p_greater = r.p_less = 1;
    return r;
  }
  r.t = r.diff / std::sqrt(se2);
  r.df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1));
  boost::math::students_t dist(r.df);
  r.p_greater = boost::math::cdf(boost::math::complement(dist, r.t));
  r.p_less = boost::math::cdf(dist, r.t);
  r.p_two_sided = std::min(1.0, 2 * std::min(r.p_greater, r.p_less));
  return r;
}

WelchResult welch_test(const std::vector<double>& a, const std::vector<double>& b) {
  return welch_test(summarize(a), summarize(b));
}

double students_t_quantile(double df, double q) { return boost::math::quantile(boost::math::students_t(df), q); }

}  // namespace kreg::stats
