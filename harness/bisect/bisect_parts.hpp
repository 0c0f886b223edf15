// What the parts of kreg bisect's course (bisect_driver, bisect_confirm)
// share beyond bisect_driver.hpp.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/bisect/bisect_driver.hpp"
#include "harness/bisect/bisect_steps.hpp"
#include "harness/bisect/step_vote.hpp"

namespace kreg::bisect_detail {

// The state of one bisect while it runs.
struct Course {
  KernelSequence& sequence;
  const BisectOptions& options;
  nlohmann::json doc;  // bisect.json
  std::string dir;
  std::vector<std::string> metrics;          // the metrics compared
  std::vector<nlohmann::json> good_records;  // the good endpoint's tries
  std::function<void()> save;
};

// Votes `tries` against `baseline` on the course's metrics (N x M pairs;
// with `self`, a list against itself without its diagonal).
StepVote vote_against(const Course& c, const std::vector<nlohmann::json>& baseline,
                      const std::vector<nlohmann::json>& tries, bool self = false);

// Sets the step's verdict, evidence and per-try metric values, appends it
// to bisect.json's steps and saves.
void settle(Course& c, StepRun& step, const StepVote& vote, int round);

// A vote for a step that could not be compared at all.
StepVote skip_vote(const std::string& reason);

// Each metric's value per try at the largest target: {"metric": [ns, ...]}.
nlohmann::json headline_values(const Course& c, const std::vector<nlohmann::json>& records);

// The culprit found: measure first bad and last good again (and a commit's
// revert), set doc["result"]["confirmation"]; returns whether it holds, with
// `why` when it does not. `stopped` on Ctrl-C.
bool confirm_culprit(Course& c, StepMeasurer& measurer, size_t last_good, size_t first_bad, std::string& why,
                     bool& stopped);

}  // namespace kreg::bisect_detail
