// What `kreg compare` prints and writes: a terminal table, a Markdown summary
// and JUnit XML (one test case per metric: failure = regression, skipped = not
// compared) for CI systems.
#pragma once

#include <string>

#include "harness/compare/compare_command.hpp"

namespace kreg {

std::string render_compare_table(const CompareResult& result);
std::string render_compare_markdown(const CompareResult& result);
std::string render_compare_junit(const CompareResult& result);

// "347 us", "1.23 ms", "12.0 ns" for unit "ns"; "%.3g <unit>" otherwise. ASCII only.
std::string format_quantity(double value, const std::string& unit);

}  // namespace kreg
