// `kreg findings RUN [--json]`: what the run shows, ranked by size of effect,
// one sentence each with its evidence (harness/findings/). kreg report writes
// the same list as RUN/report/findings.json for the Python report.
#pragma once

#include <string>

#include "harness/findings/finding.hpp"

namespace kreg {

struct FindingsOptions {
  std::string run;  // RUN_DIR, RUN_DIR:KERNEL or one job record
  bool json = false;
  double alpha = 0.01;
  double growth_pct = 25, offset_pct = 25;
  size_t limit = 0;  // text output: at most this many (0: all)
};

// The findings of RUN_DIR (or RUN_DIR:KERNEL, or a record file). Throws KregError
// naming the input when it is none of these or holds no record.
findings::Findings findings_of(const FindingsOptions& options);

// Prints them (text, or JSON with --json); returns 0.
int findings_command(const FindingsOptions& options);

}  // namespace kreg
