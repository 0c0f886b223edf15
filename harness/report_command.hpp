// `kreg report RUN_DIR`: plots and a Markdown summary via plots/report.py.
#pragma once

#include <string>

namespace kreg {

// Writes RUN_DIR/report/. Throws KregError if RUN_DIR holds no job record or
// the plotting script fails.
int report_command(const std::string& run_dir, const std::string& python);

// The plots/ directory: $KREG_PLOTS_DIR, else the source tree kreg was built from.
std::string plots_dir();

}  // namespace kreg
