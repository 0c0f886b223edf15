#include "harness/findings/rule_parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "harness/findings/format.hpp"
#include "stats/welch.hpp"

namespace kreg::findings::detail {

PointTest slower(const Dist& fast, const Dist& slow, double pct, double alpha, double inflation) {
  PointTest t;
  t.ratio = fast.median > 0 ? slow.median / fast.median : (slow.median > 0 ? INFINITY : 1);
  t.non_overlap = slow.median > fast.p90;
  t.practical = t.ratio > (1 + pct / 100) * std::max(1.0, inflation);
  stats::WelchResult w;
  if (fast.sd && slow.sd)
    w = stats::welch_test(stats::Summary{fast.mean, *fast.sd, fast.samples},
                          stats::Summary{slow.mean, *slow.sd, slow.samples});
  else if (fast.raw.size() >= 2 && slow.raw.size() >= 2)
    w = stats::welch_test(fast.raw, slow.raw);
  t.tested = w.valid;
  t.p = w.valid ? w.p_greater : 1;
  t.significant = t.tested && t.p < alpha;
  t.ok = t.significant && t.non_overlap && t.practical;
  return t;
}

std::vector<double> xs_of(const std::vector<Dist>& points) {
  std::vector<double> xs;
  for (const Dist& d : points) xs.push_back(d.x);
  return xs;
}

double Growth::p() const {
  if (up.size() < 2) return up.empty() ? 1 : up.back().p;
  return std::max(up[up.size() - 1].p, up[up.size() - 2].p);
}

std::map<double, double> timer_by_target(const Line& line) {
  std::map<double, double> out;
  auto it = line.calibration.find("timer_overhead");
  if (it != line.calibration.end())
    for (const Dist& d : it->second) out[d.target] = d.median;
  return out;
}

double host_inflation(const std::map<double, double>& fast, double fast_target, const std::map<double, double>& slow,
                      double slow_target) {
  auto a = fast.find(fast_target), b = slow.find(slow_target);
  if (a == fast.end() || b == slow.end() || !(a->second > 0)) return 1;
  return std::max(1.0, b->second / a->second);
}

Growth growth_of(const Line& line, const std::vector<Dist>& points, const Settings& s) {
  Growth g;
  g.line = &line;
  g.points = &points;
  if (points.size() < 2) return g;
  std::vector<double> ys;
  for (const Dist& d : points) ys.push_back(d.median);
  g.fit = stats::linear_fit(xs_of(points), ys, 1 - s.alpha);
  g.linear = g.fit.has_ci && g.fit.slope_lo > 0;
  auto timer = timer_by_target(line);
  for (size_t i = 1; i < points.size(); ++i) {
    double host = host_inflation(timer, points.front().target, timer, points[i].target);
    g.up.push_back(slower(points.front(), points[i], s.growth_pct, s.alpha, host));
    if (i + 1 == points.size()) g.host = host;
  }
  g.ratio = g.up.back().ratio;
  g.grows = points.size() >= 3 && g.up[g.up.size() - 1].ok && g.up[g.up.size() - 2].ok;
  return g;
}

std::vector<std::vector<const Line*>> family_groups(const RunView& view) {
  std::vector<std::vector<const Line*>> out;
  for (const Line& line : view.lines) {
    if (out.empty() || out.back().front()->family != line.family || out.back().front()->mode != line.mode)
      out.emplace_back();
    out.back().push_back(&line);
  }
  return out;
}

std::set<std::string> group_metric_names(const std::vector<const Line*>& group) {
  std::set<std::string> names;
  for (const Line* l : group)
    for (const auto& [name, pts] : l->metrics) names.insert(name);
  return names;
}

std::string group_name(const Line& line) { return line.family + (line.mode.empty() ? "" : " " + line.mode); }

std::string ci_text(double lo, double hi, double confidence_pct, bool ns) {
  auto f = [&](double v) { return ns ? fmt_ns(v) : fmt::format("{:.3g}", v); };
  return fmt::format("{:g}% CI {} to {}", confidence_pct, f(lo), f(hi));
}

}  // namespace kreg::findings::detail
