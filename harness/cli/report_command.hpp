// `kreg report RUN_DIR`: plots, capacity.md, summary.md and report.html via plots/report.py.
#pragma once

#include <string>

namespace kreg {

// Writes RUN_DIR/report/. compare_md: `kreg compare`'s summary.md to include ("": the
// run's compare/*.md if any). Throws KregError if RUN_DIR holds no job record or the
// plotting script fails.
int report_command(const std::string& run_dir, const std::string& python, const std::string& compare_md = "");

// The plots/ directory: $KREG_PLOTS_DIR, else the source tree kreg was built from.
std::string plots_dir();

}  // namespace kreg
