// The cells and lines that the terminal table, the Markdown summary and the
// JUnit file of `kreg compare` share: quantities, p-values, a metric's worst
// point, its verdict, and the per-point detail of a regression.
#pragma once

#include <string>

#include "harness/compare/compare_command.hpp"

namespace kreg::compare_detail {

std::string pct(double v);         // "+12.3%", "+inf%"
std::string pvalue(double p);      // "0.0012", "3e-07"
std::string count_text(double x);  // an object count, "%g"
std::string slope_change(const SlopeComparison& c);
std::string slope_cell(const stats::LinearFit& f, const std::string& unit);  // "12 ns +-3 ns"
std::string slope_ci(const stats::LinearFit& f, const std::string& unit);    // "12 ns [9 ns, 15 ns]"
std::string point_cell(const MetricComparison& m);  // the worst tested point, "@4000: a -> b +x% p=..."
std::string verdict_cell(const MetricComparison& m);
std::string job_cell(const MetricComparison& m);
std::string kernel_cell(const MetricComparison& m);
std::string tests_used(const CompareResult& r);      // which distribution tests the points used
std::string summary_line(const CompareResult& r);    // "N metrics: a regressions, ..."
std::string settings_line(const CompareResult& r);   // threshold, alpha, per-metric thresholds
std::string detail_text(const MetricComparison& m);  // slope and per-point lines, '\n'-terminated

}  // namespace kreg::compare_detail
