// kreg compare on a terminal: the findings, one row per metric, then each regression in detail.
#include "harness/compare/compare_output.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "harness/compare/compare_cells.hpp"
#include "harness/findings/finding.hpp"
#include "harness/term/text_table.hpp"

namespace kreg {

using namespace compare_detail;

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

}  // namespace kreg
