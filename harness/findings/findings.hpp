// The findings engine: reads one run (or, for kreg compare, the two sides of a
// pair of records) and states, ranked by size of effect, each thing that
// differs between kernels or grows with the object count, one sentence each
// with its numbers and evidence. Rules, not sentences written per scenario:
//
//  - held:      objects the kernel keeps after they were destroyed (dying memcgs,
//               net namespaces), from its own counts: it keeps them when at each of
//               its two largest counts at least 1 in 20 of those made is still held;
//               stated when kernels differ, or when a kernel keeps them.
//  - slope:     a latency grows with the object count: each of the two largest
//               counts against the smallest passes Welch's t (one-sided, p < alpha),
//               non-overlap (median above that point's p90) and growth_pct beyond the
//               timer's own rise there (host contention). One noisy point never makes
//               a finding; two do. Kernels that do not pass are named with their ratio.
//               The least-squares slope with its (1 - alpha) interval gives the cost
//               per object.
//  - offset:    one kernel slower than the fastest at every shared count (at least
//               two), each count passing the same three tests with offset_pct.
//  - threshold: for a growing latency, the objects at which it reaches 1 / 10 / 100 ms:
//               between two measured counts, or extrapolated from the least-squares
//               line when its slope interval lies above 0 (not beyond 100x the sweep).
//  - memory:    Slab + Percpu per object held, least squares with its interval.
//  - missing feature: a job skipped on a kernel, with the kernel's reason.
//
// Calibration metrics (timer_overhead) are never stated; the timer's cost
// serves only as the control for host contention. Nothing is stated that a
// test does not support; a TCG run says so in every list.
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
std::vector<Finding> slope_findings(const RunView& view, const Settings& s);  // slope and threshold
std::vector<Finding> offset_findings(const RunView& view, const Settings& s);
std::vector<Finding> held_findings(const RunView& view, const Settings& s);
std::vector<Finding> memory_findings(const RunView& view, const Settings& s);
std::vector<Finding> feature_findings(const RunView& view, const Settings& s);

}  // namespace kreg::findings
