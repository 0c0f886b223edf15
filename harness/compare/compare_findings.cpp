// kreg compare's findings: each regressed or improved metric as one sentence
// with its numbers and evidence (grouped per kernel pair and job, the largest
// effect first), plus the findings engine's object rules (held, memory,
// skipped jobs) over the paired records, stating only what differs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness/compare/compare_command.hpp"
#include "harness/findings/findings.hpp"
#include "harness/findings/format.hpp"

namespace kreg {

using findings::Finding;
using findings::fmt_count;
using findings::fmt_factor;
using findings::fmt_ns;
using findings::fmt_p;
using findings::Kind;

namespace {

std::string quantity(double v, const std::string& unit) {
  return unit == "ns" ? fmt_ns(v) : fmt::format("{:.3g} {}", v, unit);
}

// How many times worse (or better) NEW is: from the slope's predicted extra at the
// largest shared count, and from each regressed (improved) point's medians.
double effect_of(const MetricComparison& m, bool regression) {
  double effect = 1;
  const auto& s = m.slope;
  if ((regression ? s.regressed : s.improved) && s.base_level > 0) {
    double level = s.base_level + s.extra;
    effect = std::max(effect, level > 0 ? (regression ? level / s.base_level : s.base_level / level) : INFINITY);
  }
  for (const auto& p : m.points) {
    if (!(regression ? p.regressed : p.improved) || p.base_median <= 0 || p.new_median <= 0) continue;
    double worse = m.worse == "lower" ? p.base_median / p.new_median : p.new_median / p.base_median;
    effect = std::max(effect, regression ? worse : 1 / worse);
  }
  return effect;
}

const PointComparison* strongest_point(const MetricComparison& m, bool regression) {
  const PointComparison* best = nullptr;
  for (const auto& p : m.points)
    if ((regression ? p.regressed : p.improved) &&
        (!best || (regression ? p.change_pct > best->change_pct : p.change_pct < best->change_pct)))
      best = &p;
  return best;
}

std::string conf(const CompareResult& r) { return fmt::format("{:g}%", (1 - r.settings.alpha) * 100); }

std::string slope_ci(const stats::LinearFit& f, const std::string& unit) {
  return fmt::format("{} ({} to {})", quantity(f.slope, unit), quantity(f.slope_lo, unit), quantity(f.slope_hi, unit));
}

std::string metric_clauses(const CompareResult& r, const MetricComparison& m, bool regression) {
  std::vector<std::string> parts;
  const auto& s = m.slope;
  if (regression ? s.regressed : s.improved)
    parts.push_back(fmt::format(
        "its slope went from {} to {} per object ({} intervals apart), {} {} at {} objects against the baseline's {}",
        slope_ci(s.base, m.unit), slope_ci(s.cand, m.unit), conf(r), quantity(std::fabs(s.extra), m.unit),
        regression ? "more" : "less", fmt_count(s.x_hi), quantity(s.base_level, m.unit)));
  int hits = regression ? m.points_regressed : m.points_improved;
  if (const PointComparison* p = strongest_point(m, regression))
    parts.push_back(fmt::format("{} of {} shared counts {}, most at {}: {} -> {} ({}, {} {})", hits, m.points.size(),
                                regression ? "regressed" : "improved", fmt_count(p->target),
                                quantity(p->base_median, m.unit), quantity(p->new_median, m.unit),
                                fmt::format("{:+.0f}%", p->change_pct * (regression ? 1 : 1)), p->test,
                                fmt_p(regression ? p->p_worse : p->p_better)));
  return fmt::format("{}", fmt::join(parts, "; "));
}

Finding verdict_finding(const CompareResult& r, const std::vector<const MetricComparison*>& group, bool regression) {
  const MetricComparison& m = *group.front();
  std::string who = m.kernel_base == m.kernel_new ? m.kernel_new : m.kernel_new + " against " + m.kernel_base;
  std::string job = m.job_new.empty() ? m.job : m.job_new + " against " + m.job;
  double effect = effect_of(m, regression);
  std::string text = fmt::format("{} ({}, {}) got {} by {}: {}", m.metric, job, who, regression ? "worse" : "better",
                                 fmt_factor(effect), metric_clauses(r, m, regression));
  if (group.size() > 1) {
    std::vector<std::string> more;
    for (size_t i = 1; i < group.size(); ++i)
      more.push_back(fmt::format("{} ({})", group[i]->metric, fmt_factor(effect_of(*group[i], regression))));
    text += fmt::format("; so did {}", findings::and_list(more));
  }
  Finding f;
  f.kind = regression ? Kind::Regression : Kind::Improvement;
  f.effect = effect;
  f.effect_text = fmt_factor(effect);
  f.sentence = text + ".";
  auto& e = f.evidence;
  e.job = m.family.empty() ? m.job : m.family;
  for (const auto* x : group) e.metrics.push_back(x->metric);
  e.kernels = {m.kernel_base};
  if (m.kernel_new != m.kernel_base) e.kernels.push_back(m.kernel_new);
  for (const auto& p : m.points) e.points.push_back(p.target);
  e.object = "objects (sweep target)";
  bool slope = regression ? m.slope.regressed : m.slope.improved;
  bool points = (regression ? m.points_regressed : m.points_improved) > 0;
  std::vector<std::string> tests;
  if (slope) tests.push_back(fmt::format("least-squares slopes with {} Student-t intervals", conf(r)));
  if (points)
    tests.push_back(fmt::format("{} one-sided at alpha {:g} per shared count, with non-overlap and the {:g}% threshold",
                                m.test.empty() ? "a distribution test" : m.test, r.settings.alpha, m.threshold_pct));
  e.test = fmt::format("{}", fmt::join(tests, "; "));
  if (const PointComparison* p = strongest_point(m, regression)) e.p = regression ? p->p_worse : p->p_better;
  if (m.slope.compared)
    e.interval =
        fmt::format("slope baseline {}, new {}", slope_ci(m.slope.base, m.unit), slope_ci(m.slope.cand, m.unit));
  if (!m.family.empty()) e.plot = findings::latency_plot(m.family, m.metric);
  return f;
}

}  // namespace

findings::Findings compare_findings(
    const CompareResult& r,
    const std::vector<std::pair<std::vector<const LoadedRecord*>, std::vector<const LoadedRecord*>>>& pairs) {
  findings::Findings out;
  out.subject = "kreg compare " + r.baseline_spec + " -> " + r.new_spec;
  std::set<std::string> accels, kernels;
  // verdicts, grouped by kernel pair, job and direction; metrics by effect within a group
  std::map<std::tuple<std::string, std::string, std::string, std::string, bool>, std::vector<const MetricComparison*>>
      groups;
  for (const auto& m : r.metrics)
    if (m.verdict == Verdict::Regression || m.verdict == Verdict::Improved)
      groups[{m.kernel_base, m.kernel_new, m.job, m.job_new, m.verdict == Verdict::Regression}].push_back(&m);
  for (auto& [key, group] : groups) {
    bool regression = std::get<4>(key);
    std::stable_sort(group.begin(), group.end(),
                     [&](auto* a, auto* b) { return effect_of(*a, regression) > effect_of(*b, regression); });
    out.items.push_back(verdict_finding(r, group, regression));
  }
  // objects held, memory per object and skipped jobs: what differs between the paired records
  findings::Settings s;
  s.alpha = r.settings.alpha;
  s.differences_only = true;
  for (const auto& [base, cand] : pairs) {
    if (base.empty() || cand.empty()) continue;
    bool same = base.front()->kernel == cand.front()->kernel;
    std::vector<findings::RecordRef> refs;
    for (const auto* rec : base) refs.push_back({same ? "baseline:" + rec->kernel : rec->kernel, &rec->record});
    for (const auto* rec : cand) refs.push_back({same ? "new:" + rec->kernel : rec->kernel, &rec->record});
    findings::RunView view = findings::build_view(refs);
    accels.insert(view.accelerators.begin(), view.accelerators.end());
    kernels.insert(base.front()->kernel);
    kernels.insert(cand.front()->kernel);
    for (auto* rule : {&findings::held_findings, &findings::memory_findings, &findings::feature_findings})
      for (auto& f : (*rule)(view, s)) out.items.push_back(std::move(f));
  }
  findings::rank(out.items);
  out.kernels.assign(kernels.begin(), kernels.end());
  std::sort(out.kernels.begin(), out.kernels.end(), version_less);
  out.accelerators.assign(accels.begin(), accels.end());
  out.accelerator_note = findings::accelerator_note(out.accelerators);
  int not_compared = r.count(Verdict::NotCompared);
  if (not_compared > 0)
    out.notes.push_back(fmt::format("{} metric(s) not compared (see the table for why)", not_compared));
  return out;
}

}  // namespace kreg
