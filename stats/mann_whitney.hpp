// Mann-Whitney U (Wilcoxon rank-sum) test of b against a: exact null
// distribution for small samples without ties, else the normal approximation
// with tie and continuity correction (as R's wilcox.test does).
#pragma once

#include <cstddef>
#include <vector>

namespace kreg::stats {

struct MannWhitneyResult {
  bool valid = false;  // false: an empty side
  double u = 0;        // pairs (a_i, b_j) with b_j > a_i, ties counting 1/2 (R's W for wilcox.test(b, a))
  double z = 0;        // normal approximation's statistic (0 when exact)
  bool exact = false;
  double p_two_sided = 1;
  double p_greater = 1;  // H1: b tends to be larger than a
  double p_less = 1;     // H1: b tends to be smaller than a
};

MannWhitneyResult mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

// Exact when both sides have fewer than this many samples and there are no ties.
inline constexpr std::size_t kMannWhitneyExactBelow = 50;

}  // namespace kreg::stats
