// kreg compare's summary.md: the findings, every metric, each regression point by point, and how a verdict is reached.
#include "harness/compare/compare_output.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "harness/compare/compare_cells.hpp"
#include "harness/findings/finding.hpp"

namespace kreg {

using namespace compare_detail;

namespace {

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

}  // namespace

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
          count_text(m.slope.x_lo), count_text(m.slope.x_hi), slope_ci(m.slope.base, m.unit),
          slope_ci(m.slope.cand, m.unit), slope_change(m.slope), m.slope.significant ? "do not overlap" : "overlap");
    out +=
        "| Objects | Baseline median | Baseline p90 | New median | New p90 | Change | Test | p | Non-overlap | "
        "Point |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& p : m.points)
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", count_text(p.target),
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

}  // namespace kreg
