// The growth rules: slope (a latency grows with the object count) and
// threshold (objects to 1 / 10 / 100 ms, measured or at the fitted rate). See
// findings.hpp and rule_parts.hpp for the tests behind each.
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

constexpr double kThresholds[] = {1e6, 1e7, 1e8};
constexpr double kMaxExtrapolation = 100;  // beyond this many times the sweep a fitted count says nothing

struct MetricGrowth {
  std::string metric;
  std::vector<Growth> lines;  // every line with at least two points of it
  double lead_ratio() const {
    double r = 0;
    for (const auto& g : lines)
      if (g.grows) r = std::max(r, g.ratio);
    return r;
  }
  const Growth* lead() const {
    const Growth* best = nullptr;
    for (const auto& g : lines)
      if (g.grows && (!best || g.ratio > best->ratio)) best = &g;
    return best;
  }
};

std::vector<std::string> growing_kernels(const MetricGrowth& m) {
  std::vector<std::string> out;
  for (const auto& g : m.lines)
    if (g.grows) out.push_back(g.line->kernel);
  return out;
}

double conf_pct(const Settings& s) { return (1 - s.alpha) * 100; }

std::string per_object(const Growth& g, const Settings& s) {
  if (!g.linear)
    return fmt::format("not linear in the count: the least-squares slope's {:g}% interval includes 0", conf_pct(s));
  return fmt::format("{}{} per {} ({})", g.fit.slope >= 0 ? "+" : "", fmt_ns(g.fit.slope), x_word_one(*g.line),
                     ci_text(g.fit.slope_lo, g.fit.slope_hi, conf_pct(s), true));
}

Finding slope_finding(const std::vector<const Line*>& group, const std::vector<const MetricGrowth*>& metrics,
                      const Settings& s) {
  const MetricGrowth& m = *metrics.front();
  const Growth& lead = *m.lead();
  const Line& line = *lead.line;
  const auto& pts = *lead.points;
  std::vector<const Growth*> grow, flat;
  for (const auto& g : m.lines) (g.grows ? grow : flat).push_back(&g);
  std::vector<std::string> grow_names;
  for (const auto* g : grow) grow_names.push_back(g->line->name);
  bool every = flat.empty() && grow.size() == group.size() && group.size() > 1;
  std::string who =
      every ? "every kernel (" + and_list(grow_names) + ")" : and_list(grow_names) + (group.size() > 1 ? " only" : "");
  std::string text =
      fmt::format("Under {}, {} ({}) grows with {} on {}: {} -> {} from {} to {} on {} ({}, {})",
                  line.accelerator == "tcg" ? "TCG" : line.accelerator, m.metric, group_name(line), x_words(line), who,
                  fmt_ns(pts.front().median), fmt_ns(pts.back().median), fmt_count(pts.front().x),
                  fmt_count(pts.back().x), line.name, fmt_factor(lead.ratio), per_object(lead, s));
  std::vector<std::string> others;
  for (const auto* g : grow)
    if (g != &lead) others.push_back(fmt::format("{} on {}", fmt_factor(g->ratio), g->line->name));
  if (!others.empty()) text += "; " + and_list(others);
  std::vector<const Growth*> linear;
  for (const auto* g : grow)
    if (g->linear) linear.push_back(g);
  if (linear.size() >= 2) {
    auto [lo, hi] = std::minmax_element(linear.begin(), linear.end(),
                                        [](const Growth* a, const Growth* b) { return a->fit.slope < b->fit.slope; });
    if ((*hi)->fit.slope_lo > (*lo)->fit.slope_hi)
      text += fmt::format("; it grows faster on {} than on {} ({} vs {} per {}, {:g}% CIs apart)", (*hi)->line->name,
                          (*lo)->line->name, fmt_ns((*hi)->fit.slope), fmt_ns((*lo)->fit.slope),
                          x_word_one(*(*hi)->line), conf_pct(s));
  }
  if (!flat.empty()) {
    double rlo = INFINITY, rhi = 0;
    std::vector<std::string> names;
    for (const auto* g : flat) {
      rlo = std::min(rlo, g->ratio);
      rhi = std::max(rhi, g->ratio);
      names.push_back(g->line->name);
    }
    text += fmt::format(", while {} {} no such growth ({} from the smallest to the largest count)", and_list(names),
                        names.size() == 1 ? "shows" : "show",
                        rlo == rhi ? fmt_factor(rlo) : fmt_factor(rlo) + " to " + fmt_factor(rhi));
  }
  if (metrics.size() > 1) {
    std::vector<std::string> more;
    for (size_t i = 1; i < metrics.size(); ++i)
      more.push_back(fmt::format("{} ({})", metrics[i]->metric, fmt_factor(metrics[i]->lead_ratio())));
    text += fmt::format("; {} grow{} the same way", and_list(more), more.size() == 1 ? "s" : "");
  }
  Finding f;
  f.kind = Kind::Slope;
  f.effect = lead.ratio;
  f.effect_text = fmt_factor(lead.ratio);
  f.sentence = text + ".";
  Evidence& e = f.evidence;
  e.job = line.family;
  e.mode = line.mode;
  for (const auto* mg : metrics) e.metrics.push_back(mg->metric);
  for (const auto* g : grow) e.kernels.push_back(g->line->kernel);
  e.points = xs_of(pts);
  e.object = x_words(line);
  e.test = fmt::format(
      "Welch's t, one-sided, of each of the two largest counts against the smallest (median above its p90 and more "
      "than {:g}% above it beyond the timer's own rise); least squares of the medians for the cost per object",
      s.growth_pct);
  double p = 0;
  for (const auto* g : grow) p = std::max(p, g->p());
  e.p = p;
  e.interval =
      fmt::format("slope on {}: {}", line.name, ci_text(lead.fit.slope_lo, lead.fit.slope_hi, conf_pct(s), true));
  e.plot = latency_plot(line.family, m.metric);
  return f;
}

// Objects at which a growing line reaches `threshold`: between two measured
// counts (linear interpolation) when its medians cross it and stay above, else
// by extrapolating the least-squares line when its slope interval lies above 0
// (then with the range that interval gives).
struct Crossing {
  const Growth* g = nullptr;
  std::string metric;
  double count = 0, lo = 0, hi = 0, x_max = 0;
  bool measured = false;
  const Dist *below = nullptr, *above = nullptr;
};

std::optional<Crossing> crossing(const Growth& g, const std::string& metric, double threshold) {
  if (!g.grows) return std::nullopt;
  const auto& pts = *g.points;
  if (pts.front().median >= threshold) return std::nullopt;  // above at the smallest count: a higher threshold speaks
  Crossing c{&g, metric, 0, 0, 0, pts.back().x};
  for (size_t i = 1; i < pts.size(); ++i) {
    bool stays = std::all_of(pts.begin() + i, pts.end(), [&](const Dist& d) { return d.median >= threshold; });
    if (!stays) continue;
    c.measured = true;
    c.below = &pts[i - 1];
    c.above = &pts[i];
    double dm = c.above->median - c.below->median;
    c.count = c.below->x + (threshold - c.below->median) * (c.above->x - c.below->x) / dm;
    return c;
  }
  if (!g.linear) return std::nullopt;
  double need = threshold - g.fit.intercept;
  c.count = need / g.fit.slope;
  c.lo = need / g.fit.slope_hi;
  c.hi = need / g.fit.slope_lo;
  if (!(c.count > c.x_max) || c.count > kMaxExtrapolation * std::max(c.x_max, 1.0)) return std::nullopt;
  return c;
}

std::string how(const Crossing& c, const Settings& s) {
  if (c.measured)
    return fmt::format("measured {} at {} and {} at {}", fmt_ns(c.below->median), fmt_count(c.below->x),
                       fmt_ns(c.above->median), fmt_count(c.above->x));
  return fmt::format("{} to {} with the slope's {:g}% interval; {} beyond the {} measured", fmt_count(c.lo),
                     fmt_count(c.hi), conf_pct(s), fmt_factor(c.count / c.x_max), fmt_count(c.x_max));
}

std::optional<Finding> threshold_finding(const std::vector<const MetricGrowth*>& metrics, double effect,
                                         const Settings& s) {
  for (size_t ti = 0; ti < std::size(kThresholds); ++ti) {
    double t = kThresholds[ti];
    std::vector<Crossing> all;
    for (const auto* m : metrics)
      for (const auto& g : m->lines)
        if (auto c = crossing(g, m->metric, t)) all.push_back(*c);
    if (all.empty()) continue;
    auto best = std::min_element(all.begin(), all.end(), [](auto& a, auto& b) { return a.count < b.count; });
    std::string metric = best->metric;
    std::vector<Crossing> mine;
    for (const auto& c : all)
      if (c.metric == metric) mine.push_back(c);
    std::sort(mine.begin(), mine.end(), [](auto& a, auto& b) { return a.count < b.count; });
    const Crossing& first = mine.front();
    const Line& line = *first.g->line;
    std::string tname = fmt_ns(t);
    std::string text =
        first.measured
            ? fmt::format("{} ({}) reaches {} at ~{} {} on {} (linear interpolation: {})", metric, group_name(line),
                          tname, fmt_count(first.count), x_words(line), line.name, how(first, s))
            : fmt::format("At its fitted rate, {} ({}) would reach {} at ~{} {} on {} ({})", metric, group_name(line),
                          tname, fmt_count(first.count), x_words(line), line.name, how(first, s));
    std::vector<std::string> others;
    for (size_t i = 1; i < mine.size(); ++i)
      others.push_back(fmt::format("~{} on {} ({})", fmt_count(mine[i].count), mine[i].g->line->name,
                                   mine[i].measured ? "measured" : "extrapolated"));
    if (!others.empty()) text += ", " + and_list(others);
    if (ti + 1 < std::size(kThresholds)) {
      if (auto next = crossing(*first.g, metric, kThresholds[ti + 1]))
        text += fmt::format("; {} at ~{} on {} ({})", fmt_ns(kThresholds[ti + 1]), fmt_count(next->count), line.name,
                            how(*next, s));
    }
    Finding f;
    f.kind = Kind::Threshold;
    f.effect = effect * 0.999;  // ranks right after the growth it comes from
    f.effect_text = tname + " at " + fmt_count(first.count);
    f.sentence = text + ".";
    Evidence& e = f.evidence;
    e.job = line.family;
    e.mode = line.mode;
    e.metrics = {metric};
    for (const auto& c : mine) e.kernels.push_back(c.g->line->kernel);
    e.points = xs_of(*first.g->points);
    e.object = x_words(line);
    e.test = first.measured ? "the measured medians on either side of the threshold, interpolated linearly"
                            : "least-squares line of the medians: objects = (threshold - intercept) / slope";
    const auto& fit = first.g->fit;
    if (first.g->linear)
      e.interval = fmt::format("slope on {}: {}", line.name, ci_text(fit.slope_lo, fit.slope_hi, conf_pct(s), true));
    e.plot = latency_plot(line.family, metric);
    return f;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Finding> slope_findings(const RunView& view, const Settings& s) {
  std::vector<Finding> out;
  for (const auto& group : family_groups(view)) {
    const std::set<std::string> names = group_metric_names(group);
    // slope and threshold: metrics grouped by the kernels they grow on
    std::vector<MetricGrowth> growths;
    for (const auto& name : names) {
      MetricGrowth m{name, {}};
      for (const Line* l : group) {
        auto it = l->metrics.find(name);
        if (it != l->metrics.end() && it->second.size() >= 2) m.lines.push_back(growth_of(*l, it->second, s));
      }
      if (m.lead()) growths.push_back(std::move(m));
    }
    std::map<std::vector<std::string>, std::vector<const MetricGrowth*>> by_kernels;
    for (const auto& m : growths) by_kernels[growing_kernels(m)].push_back(&m);
    for (auto& [kernels, list] : by_kernels) {
      std::stable_sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->lead_ratio() > b->lead_ratio(); });
      bool all_lines = list.front()->lines.size() == kernels.size();
      if (s.differences_only && all_lines) continue;
      Finding slope = slope_finding(group, list, s);
      if (auto t = threshold_finding(list, slope.effect, s)) out.push_back(*t);
      out.push_back(std::move(slope));
    }
  }
  return out;
}

}  // namespace kreg::findings
