// What the findings rules share: a one-sided test of one point against
// another, a line's growth from its smallest to its largest count, and the
// grouping of lines by job family and cgroup mode.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/findings/findings.hpp"
#include "stats/linear_fit.hpp"

namespace kreg::findings::detail {

// Is `slow` slower than `fast`? Welch's t one-sided (from mean, standard
// deviation and n; raw samples when no standard deviation was recorded), the
// non-overlap rule (slow's median above fast's p90) and the practical rule
// (median ratio above (1 + pct/100) x inflation). `ok` when all three hold.
struct PointTest {
  bool tested = false, significant = false, non_overlap = false, practical = false, ok = false;
  double ratio = 1, p = 1;
};
PointTest slower(const Dist& fast, const Dist& slow, double pct, double alpha, double inflation = 1);

// A line's growth. Every point beyond the smallest count is tested against it;
// the line grows when its two largest counts both pass (one noisy point under
// TCG's heavy tails never makes a finding, two independent ones do), each
// corrected for host contention: the ratio must beat (1 + growth_pct) times
// the rise of the timer's own cost (timer_overhead, the calibration figure)
// at that point, because a loaded host inflates every timed sample alike.
// The least-squares line of the medians, with its (1 - alpha) interval, gives
// the cost per object and, when the interval lies above 0, the extrapolation.
struct Growth {
  const Line* line = nullptr;
  const std::vector<Dist>* points = nullptr;
  stats::LinearFit fit;
  std::vector<PointTest> up;  // up[i]: point i + 1 against the smallest count
  double ratio = 1;           // median at the largest count / at the smallest
  double host = 1;            // the timer's rise at the largest count (1: none, or not recorded)
  bool linear = false;        // the slope's interval lies above 0
  bool grows = false;
  double p() const;  // the larger p of the two points that make the growth
};
Growth growth_of(const Line& line, const std::vector<Dist>& points, const Settings& s);

// The timer's own cost (timer_overhead's median) at each target, where the record has it.
std::map<double, double> timer_by_target(const Line& line);
// How much more the timer cost at `slow_target` on `slow` than at `fast_target` on `fast`: 1 when
// not recorded or not more (a loaded host inflates every timed sample alike).
double host_inflation(const std::map<double, double>& fast, double fast_target, const std::map<double, double>& slow,
                      double slow_target);

// Lines of one (family, mode), in kernel order.
std::vector<std::vector<const Line*>> family_groups(const RunView& view);

// Every latency metric any line of a group measured.
std::set<std::string> group_metric_names(const std::vector<const Line*>& group);

std::string group_name(const Line& line);  // "memcg-churn/tmpfs-4096 v2"
std::string ci_text(double lo, double hi, double confidence_pct, bool ns);
std::vector<double> xs_of(const std::vector<Dist>& points);

}  // namespace kreg::findings::detail
