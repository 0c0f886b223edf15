// A step's verdict from kreg compare's verdicts: every try of the kernel
// under test is compared with every try of the good endpoint (N x N record
// pairs, compare's rules), metric by metric. A metric is bad when more than
// half of its comparisons regress, good when more than half compared without
// a regression, undecided otherwise (a missing try counts as not compared).
// The step is bad when any chosen metric is bad, good when all are good, and
// a skip ("could not compare") otherwise: noise that one boot shows and the
// others do not is outvoted instead of steering the search.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/bisect/bisect_search.hpp"
#include "harness/compare/compare_command.hpp"

namespace kreg {

// One record pair's verdict on one metric.
struct PairVerdict {
  size_t try_index = 0;   // the kernel under test's try (0-based)
  size_t good_index = 0;  // the good endpoint's try
  std::string metric;
  Verdict verdict = Verdict::NotCompared;
  std::string reason;  // compare's: which criteria, or why not compared
};

struct MetricVote {
  std::string metric;
  int regressed = 0, compared = 0, total = 0;
  StepVerdict verdict = StepVerdict::Skip;
  std::string example;  // compare's reason for one regressed (or compared) pair
};

struct StepVote {
  StepVerdict verdict = StepVerdict::Skip;
  std::string summary;  // one line: "bad: sysctl_core_somaxconn_open 8 of 9 comparisons regress (...)"
  std::vector<MetricVote> metrics;
};

// `pairs` holds what was compared; `total` is tries x good tries (pairs not
// present count as not compared).
StepVote vote(const std::vector<PairVerdict>& pairs, const std::vector<std::string>& metrics, int total);

// Compares every record of `tries` with every record of `good` (null
// records: a try without one) on `metrics`, with compare's rules.
std::vector<PairVerdict> compare_tries(const std::vector<nlohmann::json>& good,
                                       const std::vector<nlohmann::json>& tries,
                                       const std::vector<std::string>& metrics, const CompareSettings& settings,
                                       bool skip_same_index = false);

nlohmann::json to_json(const StepVote& v);

}  // namespace kreg
