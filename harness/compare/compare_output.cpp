#include "harness/compare/compare_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "harness/findings/finding.hpp"
#include "harness/term/text_table.hpp"

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

namespace {

std::string pct(double v) {
  if (!std::isfinite(v)) return v > 0 ? "+inf%" : "-inf%";
  return fmt::format("{:+.1f}%", v);
}

std::string pvalue(double p) { return p < 1e-4 ? fmt::format("{:.0e}", p) : fmt::format("{:.4f}", p); }

std::string count(double x) { return fmt::format("{:g}", x); }

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
  std::string s = fmt::format("@{}: {} -> {} {}", count(p->target), format_quantity(p->base_median, m.unit),
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

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

// Per-point and slope detail of one metric, as plain text lines.
std::string detail_text(const MetricComparison& m) {
  std::string out;
  if (m.slope.compared) {
    out += fmt::format(
        "slope over {}..{} objects: baseline {}/obj, new {}/obj ({}); predicted "
        "extra {} at {} vs baseline {} there ({}); intervals {}\n",
        count(m.slope.x_lo), count(m.slope.x_hi), slope_ci(m.slope.base, m.unit), slope_ci(m.slope.cand, m.unit),
        slope_change(m.slope), format_quantity(m.slope.extra, m.unit), count(m.slope.x_hi),
        format_quantity(m.slope.base_level, m.unit),
        pct(m.slope.base_level != 0 ? m.slope.extra / std::fabs(m.slope.base_level) * 100 : 0),
        m.slope.significant ? "do not overlap" : "overlap");
  } else {
    out += "slope: not compared (" + m.slope.why_not + ")\n";
  }
  for (const auto& p : m.points) {
    out += fmt::format("point {}: median {} -> {} ({}), baseline p90 {}, ", count(p.target),
                       format_quantity(p.base_median, m.unit), format_quantity(p.new_median, m.unit), pct(p.change_pct),
                       format_quantity(p.base_p90, m.unit));
    if (p.test.empty())
      out += "untested: " + p.untested;
    else
      out += fmt::format("{} p={} ({} samples vs {}), {}{}", p.test, pvalue(p.p_worse), count(p.base_samples),
                         count(p.new_samples), p.non_overlap ? "no overlap" : "overlap",
                         p.regressed  ? ": REGRESSED"
                         : p.improved ? ": improved"
                                      : "");
    out += "\n";
  }
  return out;
}

}  // namespace

std::string render_compare_table(const CompareResult& r) {
  std::string out;
  out += "baseline: " + r.baseline_desc + "\n";
  out += "new:      " + r.new_desc + "\n";
  out += settings_line(r) + "; points: " + tests_used(r) + "\n";
  for (const auto& note : r.notes) out += "note: " + note + "\n";
  out += "\n" + findings::render_text(r.findings) + "\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head;
  if (r.multi_kernel) head.push_back("KERNEL");
  for (const char* h : {"JOB", "METRIC", "SLOPE/OBJ BASE -> NEW", "WORST POINT (MEDIAN)", "VERDICT"}) head.push_back(h);
  rows.push_back(head);
  for (size_t i = 0; i < r.metrics.size(); ++i) {
    const MetricComparison& m = r.metrics[i];
    // A job skipped, failed or absent on one side: one row for all its metrics
    // (the JUnit file still has one test case each).
    size_t same = 1;
    if (m.verdict == Verdict::NotCompared && m.reason.rfind("missing in", 0) != 0)
      while (i + same < r.metrics.size() && r.metrics[i + same].verdict == Verdict::NotCompared &&
             r.metrics[i + same].reason == m.reason && r.metrics[i + same].job == m.job &&
             r.metrics[i + same].kernel_base == m.kernel_base)
        ++same;
    std::vector<std::string> row;
    if (r.multi_kernel) row.push_back(kernel_cell(m));
    row.push_back(job_cell(m));
    row.push_back(same > 1 ? fmt::format("({} metrics)", same) : m.metric);
    i += same - 1;
    row.push_back(m.slope.compared ? slope_cell(m.slope.base, m.unit) + " -> " + slope_cell(m.slope.cand, m.unit)
                                   : "-");
    row.push_back(m.verdict == Verdict::NotCompared ? "-" : point_cell(m));
    row.push_back(verdict_cell(m));
    rows.push_back(row);
  }
  out += format_columns(rows);
  out += "\n" + summary_line(r) + "\n";
  for (const auto& m : r.metrics)
    if (m.verdict == Verdict::Regression) {
      out += "\nREGRESSION " + (r.multi_kernel ? kernel_cell(m) + " " : std::string()) + job_cell(m) + " " + m.metric +
             "\n";
      std::string detail = detail_text(m);
      for (size_t at = 0; at < detail.size();) {
        size_t nl = detail.find('\n', at);
        out += "  " + detail.substr(at, nl - at) + "\n";
        at = nl + 1;
      }
    }
  return out;
}

std::string render_compare_markdown(const CompareResult& r) {
  std::string out = "# kreg compare\n\n";
  out += "- Baseline: `" + r.baseline_spec + "`: " + md_escape(r.baseline_desc) + "\n";
  out += "- New: `" + r.new_spec + "`: " + md_escape(r.new_desc) + "\n";
  out += "- " + settings_line(r) + "\n";
  out += "- Points tested with " + tests_used(r) + "\n";
  for (const auto& note : r.notes) out += "- Note: " + md_escape(note) + "\n";
  out += "\n**" + summary_line(r) + "**\n\n";
  out += "## Findings\n\n" + findings::render_markdown(r.findings) + "\n## Every metric\n\n";
  out += r.multi_kernel ? "| Kernel | " : "| ";
  out +=
      "Job | Metric | Baseline slope /obj [CI] | New slope /obj [CI] | Extra at max count | Worst point (median) | "
      "Verdict |\n";
  out += r.multi_kernel ? "|---|" : "|";
  out += "---|---|---|---|---|---|---|\n";
  for (const auto& m : r.metrics) {
    out += "| ";
    if (r.multi_kernel) out += md_escape(kernel_cell(m)) + " | ";
    out += md_escape(job_cell(m)) + " | `" + m.metric + "` | ";
    if (m.slope.compared) {
      out += slope_ci(m.slope.base, m.unit) + " | " + slope_ci(m.slope.cand, m.unit) + " | ";
      out += fmt::format("{} ({} of {})", format_quantity(m.slope.extra, m.unit),
                         pct(m.slope.base_level != 0 ? m.slope.extra / std::fabs(m.slope.base_level) * 100 : 0),
                         format_quantity(m.slope.base_level, m.unit));
      out += " | ";
    } else {
      out += "- | - | - | ";
    }
    out += (m.verdict == Verdict::NotCompared ? std::string("-") : md_escape(point_cell(m))) + " | ";
    std::string v = md_escape(verdict_cell(m));
    out += (m.verdict == Verdict::Regression ? "**" + v + "**" : v) + " |\n";
  }
  bool any = false;
  for (const auto& m : r.metrics) {
    if (m.verdict != Verdict::Regression) continue;
    if (!any) out += "\n## Regressions\n";
    any = true;
    out += "\n### " + md_escape((r.multi_kernel ? kernel_cell(m) + " " : std::string()) + job_cell(m)) + " `" +
           m.metric + "`\n\n";
    if (m.slope.compared)
      out += fmt::format(
          "Slope over {}..{} objects: baseline {}, new {} per object ({}); "
          "intervals {}.\n\n",
          count(m.slope.x_lo), count(m.slope.x_hi), slope_ci(m.slope.base, m.unit), slope_ci(m.slope.cand, m.unit),
          slope_change(m.slope), m.slope.significant ? "do not overlap" : "overlap");
    out +=
        "| Objects | Baseline median | Baseline p90 | New median | New p90 | Change | Test | p | Non-overlap | "
        "Point |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& p : m.points)
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", count(p.target),
                         format_quantity(p.base_median, m.unit), format_quantity(p.base_p90, m.unit),
                         format_quantity(p.new_median, m.unit), format_quantity(p.new_p90, m.unit), pct(p.change_pct),
                         p.test.empty() ? "-" : p.test, p.test.empty() ? md_escape(p.untested) : pvalue(p.p_worse),
                         p.non_overlap ? "yes" : "no",
                         p.regressed  ? "**regressed**"
                         : p.improved ? "improved"
                                      : "ok");
  }
  out += fmt::format(
      "\n## How the verdict is reached\n\n"
      "- **Slope**: least squares of the median latency against the objects created, each side on its own points "
      "within the shared range of counts, with a {0:g}% Student-t interval. The slope regresses when the intervals "
      "do not overlap (the new lower bound above the baseline's upper bound), the new slope is worse by more than "
      "the threshold relative to the baseline slope, *and* the extra latency the slope difference predicts across "
      "the shared range exceeds the threshold times the baseline's fitted latency at the largest shared count (so a "
      "flat baseline, whose slope is noise around zero, is not flagged for a negligible growth).\n"
      "- **Points** (same sweep target on both sides): a one-sided test at alpha {1:g} ({2}), the non-overlap rule "
      "(the new median above the baseline's p90: half the new samples are slower than 90% of the baseline's) and "
      "the practical threshold (median worse by more than the threshold, and by more than the threshold times the "
      "rise of the timer's own cost, `timer_overhead`, between the two points: a loaded host inflates every sample "
      "alike). A point regresses only when all three hold.\n"
      "- A metric regresses when its slope or {3} regress; *improved* is the mirror image; "
      "*not compared* says why (missing on one side, skipped or failed job, too few samples or points).\n"
      "- Only latency distributions (`points[].metrics`) are compared; `ops_per_s` and per-object memory are single "
      "figures per point; calibration figures (`timer_overhead`) are never judged.\n",
      (1 - r.settings.alpha) * 100, r.settings.alpha, tests_used(r),
      r.settings.min_regressed_points == kMajorityOfPoints ? r.settings.min_points_text()
                                                           : r.settings.min_points_text() + " of its points");
  return out;
}

std::string render_compare_junit(const CompareResult& r) {
  int failures = r.count(Verdict::Regression), skipped = r.count(Verdict::NotCompared);
  std::string suite = "kreg compare " + r.baseline_spec + " -> " + r.new_spec;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"kreg compare\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n",
                     r.metrics.size(), failures, skipped);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\" time=\"0\">\n",
                     xml_escape(suite), r.metrics.size(), failures, skipped);
  out += "    <properties>\n";
  out += "      <property name=\"baseline\" value=\"" + xml_escape(r.baseline_desc) + "\"/>\n";
  out += "      <property name=\"new\" value=\"" + xml_escape(r.new_desc) + "\"/>\n";
  out += "      <property name=\"settings\" value=\"" + xml_escape(settings_line(r)) + "\"/>\n";
  for (const auto& note : r.notes) out += "      <property name=\"note\" value=\"" + xml_escape(note) + "\"/>\n";
  for (const auto& f : r.findings.items)
    out += "      <property name=\"finding\" value=\"" + xml_escape(f.sentence) + "\"/>\n";
  out += "    </properties>\n";
  for (const auto& m : r.metrics) {
    std::string classname = "kreg.compare." + (r.multi_kernel ? kernel_cell(m) + "." : std::string()) + job_cell(m);
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", xml_escape(classname),
                       xml_escape(m.metric));
    std::string detail = m.verdict == Verdict::NotCompared ? "" : detail_text(m);
    if (m.verdict == Verdict::Regression)
      out += fmt::format("      <failure type=\"regression\" message=\"{}\">{}</failure>\n",
                         xml_escape("regression (" + m.reason + "): " + point_cell(m)), xml_escape(detail));
    else if (m.verdict == Verdict::NotCompared)
      out += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape("not compared: " + m.reason));
    if (m.verdict != Verdict::Regression && !detail.empty())
      out += "      <system-out>" + xml_escape(verdict_cell(m) + "\n" + detail) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace kreg
