#include "stats/mann_whitney.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <utility>

namespace kreg::stats {

namespace {

// P(U <= k) and P(U >= k) under H0 for sample sizes m (b) and n (a) without
// ties: counts of rank arrangements, by the recurrence
// N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1).
std::pair<double, double> exact_tails(size_t m, size_t n, double u) {
  size_t max_u = m * n;
  // freq[j][u] for the current i (b-sample size), j = 0..n
  std::vector<std::vector<double>> prev(n + 1), cur(n + 1);
  for (size_t j = 0; j <= n; ++j) prev[j].assign(1, 1.0);  // i = 0: U = 0 only
  for (size_t i = 1; i <= m; ++i) {
    cur[0].assign(1, 1.0);  // j = 0: U = 0 only
    for (size_t j = 1; j <= n; ++j) {
      cur[j].assign(i * j + 1, 0.0);
      // the largest of the i + j values is from b (adds j to U) or from a
      for (size_t k = 0; k < prev[j].size(); ++k) cur[j][k + j] += prev[j][k];
      for (size_t k = 0; k < cur[j - 1].size(); ++k) cur[j][k] += cur[j - 1][k];
    }
    std::swap(prev, cur);
  }
  const std::vector<double>& freq = prev[n];
  double total = 0, le = 0, ge = 0;
  for (size_t k = 0; k <= max_u; ++k) {
    total += freq[k];
    if (k <= u) le += freq[k];
    if (k >= u) ge += freq[k];
  }
  return {le / total, ge / total};
}

}  // namespace

MannWhitneyResult mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  MannWhitneyResult r;
  size_t n = a.size(), m = b.size();
  if (n == 0 || m == 0) return r;
  r.valid = true;

  // Mid-ranks of the pooled sample; U of b from b's rank sum.
  std::vector<std::pair<double, bool>> pooled;  // value, from b
  pooled.reserve(n + m);
  for (double v : a) pooled.emplace_back(v, false);
  for (double v : b) pooled.emplace_back(v, true);
  std::sort(pooled.begin(), pooled.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  double rank_sum_b = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    double t = static_cast<double>(j - i);
    double mid_rank = (i + 1 + j) / 2.0;  // ranks i+1..j
    for (size_t k = i; k < j; ++k)
      if (pooled[k].second) rank_sum_b += mid_rank;
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    i = j;
  }
  double dm = static_cast<double>(m), dn = static_cast<double>(n);
  r.u = rank_sum_b - dm * (dm + 1) / 2;

  if (!ties && m < kMannWhitneyExactBelow && n < kMannWhitneyExactBelow) {
    r.exact = true;
    auto [le, ge] = exact_tails(m, n, r.u);
    r.p_greater = ge;
    r.p_less = le;
    r.p_two_sided = std::min(1.0, 2 * std::min(le, ge));
    return r;
  }
  double big_n = dm + dn;
  double sigma = std::sqrt(dm * dn / 12 * ((big_n + 1) - tie_term / (big_n * (big_n - 1))));
  double centred = r.u - dm * dn / 2;
  boost::math::normal normal;
  if (sigma <= 0) {  // every value equal
    r.p_two_sided = r.p_greater = r.p_less = 1;
    return r;
  }
  // Continuity correction towards the null, per tail.
  double z_greater = (centred - 0.5) / sigma, z_less = (centred + 0.5) / sigma;
  r.p_greater = boost::math::cdf(boost::math::complement(normal, z_greater));
  r.p_less = boost::math::cdf(normal, z_less);
  double corr = centred > 0 ? 0.5 : centred < 0 ? -0.5 : 0;
  r.z = (centred - corr) / sigma;
  r.p_two_sided = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(normal, std::fabs(r.z))));
  return r;
}

}  // namespace kreg::stats
