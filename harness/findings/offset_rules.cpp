// The offset rule: one kernel slower than the fastest at every shared count
// (at least two), each count passing Welch's t, the non-overlap rule and the
// offset threshold beyond the timer's own difference there. See findings.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "harness/findings/findings.hpp"
#include "harness/findings/format.hpp"
#include "harness/findings/rule_parts.hpp"

namespace kreg::findings {

using namespace detail;

namespace {

struct Offset {
  const Line* slow = nullptr;
  double rmin = INFINITY, rmax = 0, p = 0;
  size_t counts = 0;
  double x_lo = 0, x_hi = 0;
};

// Kernels slower than the fastest at every shared count (at least two).
std::pair<const Line*, std::vector<Offset>> offsets(const std::vector<const Line*>& group, const std::string& metric,
                                                    const Settings& s) {
  const Line* fastest = nullptr;
  double best = INFINITY;
  for (const Line* l : group) {
    auto it = l->metrics.find(metric);
    if (it == l->metrics.end() || it->second.empty()) continue;
    std::vector<double> med;
    for (const Dist& d : it->second) med.push_back(d.median);
    std::sort(med.begin(), med.end());
    double mid = med[med.size() / 2];
    if (mid < best) best = mid, fastest = l;
  }
  std::vector<Offset> out;
  if (!fastest) return {nullptr, out};
  const auto& ref = fastest->metrics.at(metric);
  auto ref_timer = timer_by_target(*fastest);
  for (const Line* l : group) {
    if (l == fastest || !l->metrics.count(metric)) continue;
    Offset o;
    o.slow = l;
    auto timer = timer_by_target(*l);
    bool all = true;
    for (const Dist& d : l->metrics.at(metric)) {
      auto hit = std::find_if(ref.begin(), ref.end(), [&](const Dist& r) { return r.target == d.target; });
      if (hit == ref.end()) continue;
      PointTest t = slower(*hit, d, s.offset_pct, s.alpha, host_inflation(ref_timer, hit->target, timer, d.target));
      if (!t.ok) {
        all = false;
        break;
      }
      o.x_lo = o.counts ? std::min(o.x_lo, d.x) : d.x;
      o.x_hi = std::max(o.x_hi, d.x);
      ++o.counts;
      o.rmin = std::min(o.rmin, t.ratio);
      o.rmax = std::max(o.rmax, t.ratio);
      o.p = std::max(o.p, t.p);
    }
    if (all && o.counts >= 2) out.push_back(o);
  }
  return {fastest, out};
}

std::string range_text(double lo, double hi) {
  std::string a = fmt_factor(lo), b = fmt_factor(hi);
  return a == b ? a : a + " to " + b;
}

}  // namespace

std::vector<Finding> offset_findings(const RunView& view, const Settings& s) {
  std::vector<Finding> out;
  for (const auto& group : family_groups(view)) {
    const std::set<std::string> names = group_metric_names(group);
    // offset: metrics grouped by (fastest kernel, slower kernels)
    if (group.size() < 2) continue;
    std::map<std::vector<std::string>, std::vector<std::pair<std::string, std::vector<Offset>>>> by_set;
    std::map<std::vector<std::string>, const Line*> fastest_of;
    for (const auto& name : names) {
      auto [fastest, list] = offsets(group, name, s);
      if (list.empty()) continue;
      std::vector<std::string> key{fastest->kernel};
      for (const auto& o : list) key.push_back(o.slow->kernel);
      by_set[key].emplace_back(name, list);
      fastest_of[key] = fastest;
    }
    for (auto& [key, metrics] : by_set) {
      auto strength = [](const std::vector<Offset>& l) {
        double r = 0;
        for (const auto& o : l) r = std::max(r, o.rmin);
        return r;
      };
      std::stable_sort(metrics.begin(), metrics.end(),
                       [&](auto& a, auto& b) { return strength(a.second) > strength(b.second); });
      const auto& [metric, list] = metrics.front();
      const Line* fast = fastest_of[key];
      std::vector<Offset> sorted = list;
      std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.rmin > b.rmin; });
      const Offset& top = sorted.front();
      std::string text = fmt::format(
          "Under {}, at the same counts {} ({}) takes {} as long on {} as on {} (at every one of {} shared counts, {} "
          "to {} {})",
          fast->accelerator == "tcg" ? "TCG" : fast->accelerator, metric, group_name(*fast),
          range_text(top.rmin, top.rmax), top.slow->name, fast->name, top.counts, fmt_count(top.x_lo),
          fmt_count(top.x_hi), x_words(*fast));
      std::vector<std::string> others;
      for (size_t i = 1; i < sorted.size(); ++i)
        others.push_back(fmt::format("{} on {}", range_text(sorted[i].rmin, sorted[i].rmax), sorted[i].slow->name));
      if (!others.empty()) text += "; " + and_list(others);
      if (metrics.size() > 1) {
        std::vector<std::string> more;
        for (size_t i = 1; i < metrics.size(); ++i) more.push_back(metrics[i].first);
        text += fmt::format("; the same holds for {}", and_list(more));
      }
      Finding f;
      f.kind = Kind::Offset;
      f.effect = top.rmin;
      f.effect_text = fmt_factor(top.rmin);
      f.sentence = text + ".";
      Evidence& e = f.evidence;
      e.job = fast->family;
      e.mode = fast->mode;
      for (const auto& [m, l] : metrics) e.metrics.push_back(m);
      e.kernels.push_back(fast->kernel);
      for (const auto& o : sorted) e.kernels.push_back(o.slow->kernel);
      e.points = xs_of(fast->metrics.at(metric));
      e.object = x_words(*fast);
      e.test = fmt::format(
          "Welch's t, one-sided, at each shared count, with the slower median above the faster kernel's p90 and "
          "more than {:g}% above its median beyond the timer's own difference",
          s.offset_pct);
      double p = 0;
      for (const auto& o : list) p = std::max(p, o.p);
      e.p = p;
      e.plot = latency_plot(fast->family, metric);
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace kreg::findings
