// The findings engine: reads one run (or, for kreg compare, the two sides of a
// pair of records) and states, ranked by size of effect, each thing that
// differs between kernels or grows with the object count, one sentence each
// with its numbers and evidence. Rules, not sentences written per scenario:
//
//  - held:      objects the kernel keeps after they were destroyed (dying memcgs,
//               net namespaces), least squares of held against made per kernel;
//               stated when kernels differ (99% intervals apart) or a kernel keeps
//               a real share.
//  - slope:     a latency grows with the object count: its least-squares slope's
//               (1 - alpha) interval lies above 0 AND the largest count's median
//               is above the smallest's (Welch one-sided p < alpha, median above
//               that point's p90, by more than growth_pct). Kernels that do not
//               pass are named with the ratio they showed.
//  - offset:    one kernel slower than the fastest at every shared count (at least
//               two), each count passing the same three tests with offset_pct.
//  - threshold: for a growing latency, the fitted count of objects at which it
//               reaches 1 / 10 / 100 ms, with the slope interval's range, inside
//               or beyond the measured range (not beyond 100x the sweep).
//  - memory:    Slab + Percpu per object held, least squares with its interval.
//  - missing feature: a job skipped on a kernel, with the kernel's reason.
//
// Calibration metrics (timer_overhead) are never looked at. Nothing is stated
// that a test does not support; a TCG run says so in every list.
#pragma once

#include <vector>

#include "harness/findings/finding.hpp"
#include "harness/findings/run_view.hpp"

namespace kreg::findings {

struct Settings {
  double alpha = 0.01;            // tests' level; fit intervals are (1 - alpha)
  double growth_pct = 25;         // largest vs smallest count: growth smaller than this is not stated
  double offset_pct = 25;         // kernel vs kernel at the same counts
  bool differences_only = false;  // compare: state only what differs between the lines' kernels
};

// Every finding of a set of records (a run, or the records of two compared sides).
Findings run_findings(const std::vector<RecordRef>& records, const std::string& subject, const Settings& s = {});

// The rules, each over a built view (exposed for kreg compare and the tests).
std::vector<Finding> latency_findings(const RunView& view, const Settings& s);
std::vector<Finding> held_findings(const RunView& view, const Settings& s);
std::vector<Finding> memory_findings(const RunView& view, const Settings& s);
std::vector<Finding> feature_findings(const RunView& view, const Settings& s);

}  // namespace kreg::findings
