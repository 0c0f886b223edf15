// kreg compare, one metric of one record pair: slope fits with intervals,
// the per-point distribution tests, and the verdict.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "bench/metric_catalog.hpp"
#include "harness/compare/compare_command.hpp"
#include "harness/compare/compare_parts.hpp"
#include "harness/findings/record_series.hpp"
#include "harness/findings/run_view.hpp"
#include "stats/mann_whitney.hpp"
#include "stats/welch.hpp"

namespace kreg {

namespace fs = std::filesystem;
using compare_detail::job_display;
using compare_detail::join;
using nlohmann::json;

// --- one metric ---------------------------------------------------------------

namespace {

using findings::Dist;
using findings::series_of;

json metric_info_of(const json& record, const std::string& metric) {
  if (record.contains("metric_info") && record["metric_info"].contains(metric)) return record["metric_info"][metric];
  return metric_info(metric);
}

PointComparison compare_point(const Dist& b, const Dist& n, double sign, double thr, const CompareSettings& s,
                              double host_worse, double host_better) {
  PointComparison p;
  p.target = b.target;
  p.x_base = b.x;
  p.x_new = n.x;
  p.base_median = b.median;
  p.new_median = n.median;
  p.base_p90 = b.p90;
  p.new_p90 = n.p90;
  p.base_samples = b.samples;
  p.new_samples = n.samples;
  p.change_pct = b.median != 0 ? sign * (n.median - b.median) / std::fabs(b.median) * 100 : 0;
  p.host_worse = host_worse;
  p.host_better = host_better;
  // Worse by more than the threshold, and by more than the threshold beyond the timer's own rise.
  double worse_ratio = b.median > 0 && n.median > 0 ? (sign > 0 ? n.median / b.median : b.median / n.median) : 1;
  p.practical = p.change_pct > thr && (host_worse <= 1 || worse_ratio > (1 + thr / 100) * host_worse);
  bool better_practical =
      -p.change_pct > thr && (host_better <= 1 || (worse_ratio > 0 && 1 / worse_ratio > (1 + thr / 100) * host_better));
  // Non-overlap: half of NEW lies beyond 90% of BASELINE (higher is worse);
  // where lower is worse, 90% of NEW lies below BASELINE's median (records keep
  // no p10). Improvement is the mirror.
  if (sign > 0) {
    p.non_overlap = n.median > b.p90;
  } else {
    p.non_overlap = n.p90 < b.median;
  }
  bool better_non_overlap = sign > 0 ? n.p90 < b.median : n.median > b.p90;
  size_t nb = b.raw.size(), nn = n.raw.size();
  if (nb >= s.min_samples && nn >= s.min_samples) {
    stats::MannWhitneyResult mw = stats::mann_whitney(b.raw, n.raw);
    p.test = "mann-whitney";
    p.p_worse = sign > 0 ? mw.p_greater : mw.p_less;
    p.p_better = sign > 0 ? mw.p_less : mw.p_greater;
  } else if (b.samples < s.min_samples || n.samples < s.min_samples) {
    p.untested = fmt::format("too few samples ({:g} vs {:g}, need {})", b.samples, n.samples, s.min_samples);
  } else if (b.sd && n.sd) {
    stats::WelchResult w =
        stats::welch_test(stats::Summary{b.mean, *b.sd, b.samples}, stats::Summary{n.mean, *n.sd, n.samples});
    if (w.valid) {
      p.test = "welch";
      p.p_worse = sign > 0 ? w.p_greater : w.p_less;
      p.p_better = sign > 0 ? w.p_less : w.p_greater;
    } else {
      p.untested = "no usable mean/stddev";
    }
  } else {
    p.untested = "no spread recorded (neither raw samples nor a standard deviation)";
  }
  if (!p.test.empty()) {
    p.significant = p.p_worse < s.alpha;
    p.regressed = p.significant && p.non_overlap && p.practical;
    p.improved = p.p_better < s.alpha && better_non_overlap && better_practical;
  }
  return p;
}

SlopeComparison compare_slopes(const std::vector<Dist>& b, const std::vector<Dist>& n, double sign, double thr,
                               const CompareSettings& s) {
  SlopeComparison c;
  if (b.empty() || n.empty()) {
    c.why_not = "no points";
    return c;
  }
  auto [bmin, bmax] = std::minmax_element(b.begin(), b.end(), [](auto& l, auto& r) { return l.x < r.x; });
  auto [nmin, nmax] = std::minmax_element(n.begin(), n.end(), [](auto& l, auto& r) { return l.x < r.x; });
  c.x_lo = std::max(bmin->x, nmin->x);
  c.x_hi = std::min(bmax->x, nmax->x);
  if (!(c.x_hi > c.x_lo)) {
    c.why_not = "no shared range of object counts";
    return c;
  }
  auto fit = [&](const std::vector<Dist>& side) {
    std::vector<double> xs, ys;
    for (const Dist& d : side)
      if (d.x >= c.x_lo && d.x <= c.x_hi) {
        xs.push_back(d.x);
        ys.push_back(d.median);
      }
    return stats::linear_fit(xs, ys, 1 - s.alpha);
  };
  c.base = fit(b);
  c.cand = fit(n);
  if (!c.base.has_ci || !c.cand.has_ci) {
    c.why_not =
        fmt::format("too few points in the shared range for a slope interval ({} vs {}, need 3)", c.base.n, c.cand.n);
    return c;
  }
  c.compared = true;
  double span = c.x_hi - c.x_lo;
  double diff = sign * (c.cand.slope - c.base.slope);
  c.extra = diff * span;
  c.base_level = c.base.at(c.x_hi);
  if (c.base_level <= 0) {  // a fit through noise can dip below zero; fall back to what was measured
    for (const Dist& d : b)
      if (d.x >= c.x_lo && d.x <= c.x_hi) c.base_level = std::max(c.base_level, d.median);
  }
  c.slope_change_pct = c.base.slope != 0 ? diff / std::fabs(c.base.slope) * 100
                                         : (diff > 0   ? INFINITY
                                            : diff < 0 ? -INFINITY
                                                       : 0);
  double t = thr / 100;
  c.significant = sign > 0 ? c.cand.slope_lo > c.base.slope_hi : c.cand.slope_hi < c.base.slope_lo;
  c.practical = diff > t * std::fabs(c.base.slope) && c.extra > t * std::fabs(c.base_level);
  c.regressed = c.significant && c.practical;
  bool better = sign > 0 ? c.cand.slope_hi < c.base.slope_lo : c.cand.slope_lo > c.base.slope_hi;
  c.improved = better && -diff > t * std::fabs(c.base.slope) && -c.extra > t * std::fabs(c.base_level);
  return c;
}

// timer_overhead's median per target: how loaded the host was when each point was timed.
std::map<double, double> timer_of(const std::map<std::string, std::vector<Dist>>& series) {
  std::map<double, double> out;
  for (const auto& [name, dists] : series)
    if (is_calibration_metric(name))
      for (const Dist& d : dists) out[d.target] = d.median;
  return out;
}

std::string unusable_reason(const json& r) {
  std::string status = r.value("status", "?");
  if (r.value("kind", "sweep") == "speed") return "a speed record (no sweep points)";
  if (status == "skipped") return "skipped: " + r.value("skip_reason", std::string("no reason recorded"));
  if (status == "failed") {
    std::string why = r.contains("error") && r["error"].is_object() ? r["error"].value("message", "") : "";
    return "failed" + (why.empty() ? std::string() : ": " + why);
  }
  if (r.value("points", json::array()).empty()) return "no sweep points";
  return "";
}

}  // namespace

std::vector<MetricComparison> compare_records(const json& base, const json& cand, const CompareSettings& s) {
  std::vector<MetricComparison> out;
  std::string bad_base = unusable_reason(base), bad_new = unusable_reason(cand);
  auto sb = series_of(base), sn = series_of(cand);
  std::set<std::string> names;
  for (const auto& [k, v] : sb)
    if (!is_calibration_metric(k)) names.insert(k);
  for (const auto& [k, v] : sn)
    if (!is_calibration_metric(k)) names.insert(k);
  std::string job = job_display(base), job_new = job_display(cand);
  auto row = [&](const std::string& metric) {
    MetricComparison m;
    m.job = job;
    m.family = findings::family_of(cand);
    if (job_new != job) m.job_new = job_new;
    m.metric = metric;
    m.threshold_pct = s.threshold_for_metric(metric);
    json info = metric_info_of(cand.contains("metric_info") ? cand : base, metric);
    if (info.is_object()) {
      m.unit = info.value("unit", "ns");
      m.worse = info.value("worse", "higher");
    }
    return m;
  };
  if (!bad_base.empty() || !bad_new.empty()) {
    if (names.empty()) names.insert("-");
    for (const auto& name : names) {
      MetricComparison m = row(name);
      if (!bad_base.empty() && !bad_new.empty())
        m.reason = bad_base == bad_new ? "both " + bad_base : "baseline " + bad_base + "; new " + bad_new;
      else
        m.reason = !bad_base.empty() ? "baseline " + bad_base : "new " + bad_new;
      out.push_back(std::move(m));
    }
    return out;
  }
  for (const auto& name : names) {
    MetricComparison m = row(name);
    auto ib = sb.find(name), in = sn.find(name);
    if (ib == sb.end() || in == sn.end()) {
      m.reason = ib == sb.end() ? "missing in baseline" : "missing in new";
      out.push_back(std::move(m));
      continue;
    }
    double sign = m.worse == "lower" ? -1 : 1;
    const auto& b = ib->second;
    const auto& n = in->second;
    auto tb = timer_of(sb), tn = timer_of(sn);
    for (const Dist& db : b) {
      auto hit = std::find_if(n.begin(), n.end(), [&](const Dist& d) { return d.target == db.target; });
      if (hit == n.end()) continue;
      double host = 1;  // the new side's timer over the baseline's at this point
      if (tb.count(db.target) && tn.count(hit->target) && tb[db.target] > 0) host = tn[hit->target] / tb[db.target];
      PointComparison p = compare_point(db, *hit, sign, m.threshold_pct, s, std::max(1.0, host),
                                        host > 0 ? std::max(1.0, 1 / host) : 1);
      if (!p.test.empty()) {
        ++m.points_tested;
        if (m.test.empty() || m.test == p.test)
          m.test = p.test;
        else
          m.test = "mixed";
      }
      m.points_regressed += p.regressed;
      m.points_improved += p.improved;
      m.points.push_back(std::move(p));
    }
    m.slope = compare_slopes(b, n, sign, m.threshold_pct, s);
    if (m.points_tested == 0 && !m.slope.compared) {
      std::string why = m.points.empty() ? "no shared sweep point" : m.points.front().untested;
      m.reason = why + "; slope: " + m.slope.why_not;
      out.push_back(std::move(m));
      continue;
    }
    size_t need = s.points_needed(m.points.size());
    bool points_regress = static_cast<size_t>(m.points_regressed) >= need;
    bool points_improve = static_cast<size_t>(m.points_improved) >= need;
    if (m.slope.regressed || points_regress) {
      m.verdict = Verdict::Regression;
      std::vector<std::string> why;
      if (m.slope.regressed) why.push_back("slope");
      if (points_regress) why.push_back(fmt::format("{}/{} points", m.points_regressed, m.points.size()));
      m.reason = join(why, " + ");
    } else if ((m.slope.improved || points_improve) &&
               std::none_of(m.points.begin(), m.points.end(), [](const auto& p) { return p.practical; })) {
      // improved: better by the same rules, and no point's median worse by more than the threshold
      m.verdict = Verdict::Improved;
      std::vector<std::string> why;
      if (m.slope.improved) why.push_back("slope");
      if (points_improve) why.push_back(fmt::format("{}/{} points", m.points_improved, m.points.size()));
      m.reason = join(why, " + ");
    } else {
      m.verdict = Verdict::Ok;
      if (!m.slope.compared) m.reason = "slope: " + m.slope.why_not;
    }
    out.push_back(std::move(m));
  }
  return out;
}

namespace compare_detail {

std::string job_display(const json& r) {
  std::string id = r.value("job_id", "?");
  std::string mode, rep;
  if (r.contains("unit") && r["unit"].is_object()) {
    mode = r["unit"].value("cgroup_mode", "");
    int n = r["unit"].value("repetition", 1);
    if (n != 1) rep = "#r" + std::to_string(n);
  }
  bool says_mode = mode.empty() || id == mode || (id.size() > mode.size() && id.ends_with("/" + mode));
  return id + (says_mode ? "" : " (" + mode + ")") + rep;
}

std::vector<std::string> metric_names(const json& record) {
  std::vector<std::string> names;
  for (const auto& [name, dists] : series_of(record))
    if (!is_calibration_metric(name)) names.push_back(name);
  return names;
}

}  // namespace compare_detail

}  // namespace kreg
