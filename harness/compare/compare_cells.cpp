// The shared cells of compare_text, compare_markdown and compare_junit.
#include "harness/compare/compare_cells.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <vector>

#include "harness/compare/compare_output.hpp"

namespace kreg {

std::string format_quantity(double value, const std::string& unit) {
  if (!std::isfinite(value)) return "-";
  if (unit == "ns") {
    double a = std::fabs(value);
    if (a >= 1e9) return fmt::format("{:.3g} s", value / 1e9);
    if (a >= 1e6) return fmt::format("{:.3g} ms", value / 1e6);
    if (a >= 1e3) return fmt::format("{:.3g} us", value / 1e3);
    if (a >= 10 || a == 0) return fmt::format("{:.0f} ns", value);
    return fmt::format("{:.2g} ns", value);
  }
  return fmt::format("{:.3g} {}", value, unit);
}

namespace compare_detail {

namespace {

// The point to show: the worst tested one (largest change towards worse), else the last.
const PointComparison* worst_point(const MetricComparison& m) {
  const PointComparison* worst = nullptr;
  for (const auto& p : m.points) {
    if (p.test.empty()) continue;
    if (!worst || p.regressed > worst->regressed ||
        (p.regressed == worst->regressed && p.change_pct > worst->change_pct))
      worst = &p;
  }
  if (!worst && !m.points.empty()) worst = &m.points.back();
  return worst;
}

}  // namespace

std::string pct(double v) {
  if (!std::isfinite(v)) return v > 0 ? "+inf%" : "-inf%";
  return fmt::format("{:+.1f}%", v);
}

std::string pvalue(double p) { return p < 1e-4 ? fmt::format("{:.0e}", p) : fmt::format("{:.4f}", p); }

std::string count_text(double x) { return fmt::format("{:g}", x); }

// The slope change in percent, unless the baseline slope is indistinguishable from 0.
std::string slope_change(const SlopeComparison& c) {
  if (c.base.slope_lo <= 0 && c.base.slope_hi >= 0) return "baseline slope indistinguishable from 0";
  return pct(c.slope_change_pct) + " of the baseline slope";
}

std::string slope_cell(const stats::LinearFit& f, const std::string& unit) {
  return fmt::format("{} +-{}", format_quantity(f.slope, unit), format_quantity((f.slope_hi - f.slope_lo) / 2, unit));
}

std::string slope_ci(const stats::LinearFit& f, const std::string& unit) {
  return fmt::format("{} [{}, {}]", format_quantity(f.slope, unit), format_quantity(f.slope_lo, unit),
                     format_quantity(f.slope_hi, unit));
}

std::string point_cell(const MetricComparison& m) {
  const PointComparison* p = worst_point(m);
  if (!p) return "-";
  std::string s = fmt::format("@{}: {} -> {} {}", count_text(p->target), format_quantity(p->base_median, m.unit),
                              format_quantity(p->new_median, m.unit), pct(p->change_pct));
  if (!p->test.empty()) s += " p=" + pvalue(p->p_worse);
  if (!p->test.empty() && !p->non_overlap && p->change_pct > 0) s += " overlap";
  return s;
}

std::string verdict_cell(const MetricComparison& m) {
  std::string v = verdict_name(m.verdict);
  if (m.verdict == Verdict::Ok || m.reason.empty()) return v;
  return v + (m.verdict == Verdict::NotCompared ? ": " : " (") + m.reason +
         (m.verdict == Verdict::NotCompared ? "" : ")");
}

std::string job_cell(const MetricComparison& m) { return m.job_new.empty() ? m.job : m.job + " vs " + m.job_new; }

std::string kernel_cell(const MetricComparison& m) {
  return m.kernel_base == m.kernel_new ? m.kernel_base : m.kernel_base + " vs " + m.kernel_new;
}

std::string tests_used(const CompareResult& r) {
  std::set<std::string> tests;
  for (const auto& m : r.metrics)
    for (const auto& p : m.points)
      if (!p.test.empty()) tests.insert(p.test);
  std::vector<std::string> parts;
  if (tests.count("mann-whitney")) parts.push_back("Mann-Whitney U on the raw per-repetition samples");
  if (tests.count("welch"))
    parts.push_back(
        "Welch's t from mean, standard deviation and n (the records keep no raw samples, only Google "
        "Benchmark's aggregates)");
  if (parts.empty()) return "no distribution test could run";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string summary_line(const CompareResult& r) {
  return fmt::format("{} metrics: {} regression{}, {} improved, {} ok, {} not compared", r.metrics.size(),
                     r.count(Verdict::Regression), r.count(Verdict::Regression) == 1 ? "" : "s",
                     r.count(Verdict::Improved), r.count(Verdict::Ok), r.count(Verdict::NotCompared));
}

std::string settings_line(const CompareResult& r) {
  std::string s = fmt::format("threshold {:g}%", r.settings.threshold_pct);
  for (const auto& [metric, v] : r.settings.threshold_for) s += fmt::format(", {} {:g}%", metric, v);
  s += fmt::format("; alpha {:g}; slope intervals {:g}%", r.settings.alpha, (1 - r.settings.alpha) * 100);
  return s;
}

// Per-point and slope detail of one metric, as plain text lines.
std::string detail_text(const MetricComparison& m) {
  std::string out;
  if (m.slope.compared) {
    out += fmt::format(
        "slope over {}..{} objects: baseline {}/obj, new {}/obj ({}); predicted "
        "extra {} at {} vs baseline {} there ({}); intervals {}\n",
        count_text(m.slope.x_lo), count_text(m.slope.x_hi), slope_ci(m.slope.base, m.unit),
        slope_ci(m.slope.cand, m.unit), slope_change(m.slope), format_quantity(m.slope.extra, m.unit),
        count_text(m.slope.x_hi), format_quantity(m.slope.base_level, m.unit),
        pct(m.slope.base_level != 0 ? m.slope.extra / std::fabs(m.slope.base_level) * 100 : 0),
        m.slope.significant ? "do not overlap" : "overlap");
  } else {
    out += "slope: not compared (" + m.slope.why_not + ")\n";
  }
  for (const auto& p : m.points) {
    out += fmt::format("point {}: median {} -> {} ({}), baseline p90 {}, ", count_text(p.target),
                       format_quantity(p.base_median, m.unit), format_quantity(p.new_median, m.unit), pct(p.change_pct),
                       format_quantity(p.base_p90, m.unit));
    if (p.test.empty())
      out += "untested: " + p.untested;
    else
      out += fmt::format("{} p={} ({} samples vs {}), {}{}", p.test, pvalue(p.p_worse), count_text(p.base_samples),
                         count_text(p.new_samples), p.non_overlap ? "no overlap" : "overlap",
                         p.regressed  ? ": REGRESSED"
                         : p.improved ? ": improved"
                                      : "");
    out += "\n";
  }
  return out;
}

}  // namespace compare_detail
}  // namespace kreg
