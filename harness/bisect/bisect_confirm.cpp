// Confirming a culprit, as KernelCI does before it reports one: the first
// bad kernel and the last good one are measured N more times each; the
// finding holds when the first bad is still bad against the good endpoint
// and against the last good, the last good is still good, and (commits) the
// bad endpoint with the culprit reverted is good again.
#include <fmt/format.h>

#include <algorithm>

#include "harness/bisect/bisect_parts.hpp"

namespace kreg::bisect_detail {

StepVote vote_against(const Course& c, const std::vector<nlohmann::json>& baseline,
                      const std::vector<nlohmann::json>& tries, bool self) {
  const int total = static_cast<int>(baseline.size() * tries.size() - (self ? tries.size() : 0));
  return vote(compare_tries(baseline, tries, c.metrics, c.options.compare, self), c.metrics, total);
}

StepVote skip_vote(const std::string& reason) {
  StepVote v;
  v.verdict = StepVerdict::Skip;
  v.summary = "skip: " + reason;
  return v;
}

nlohmann::json headline_values(const Course& c, const std::vector<nlohmann::json>& records) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& metric : c.metrics) {
    out[metric] = nlohmann::json::array();
    for (const auto& r : records) {
      nlohmann::json series = metric_series(r, metric);
      out[metric].push_back(series.empty() ? nlohmann::json(nullptr) : series.back()["median_ns"]);
    }
  }
  return out;
}

void settle(Course& c, StepRun& step, const StepVote& v, int round) {
  nlohmann::json& e = step.entry;
  if (!step.restored) {
    e["verdict"] = verdict_text(v.verdict);
    e["evidence"] = to_json(v);
    e["round"] = round;
    nlohmann::json values = nlohmann::json::object();
    for (const auto& metric : c.metrics) {
      values[metric] = nlohmann::json::array();
      for (const auto& r : step.records) values[metric].push_back(metric_series(r, metric));
    }
    e["values"] = values;
    e["headline"] = headline_values(c, step.records);
    e["finished"] = true;
  }
  e["order"] = c.doc["steps"].size();
  c.doc["steps"].push_back(e);
  c.save();
}

namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

nlohmann::json distribution(const Course& c, const std::vector<nlohmann::json>& records) {
  nlohmann::json out = nlohmann::json::object();
  const nlohmann::json headline = headline_values(c, records);  // items() must not outlive it
  for (const auto& [metric, values] : headline.items()) {
    std::vector<double> v;
    for (const auto& x : values)
      if (x.is_number()) v.push_back(x.get<double>());
    out[metric] = {{"per_try_ns", values}, {"median_ns", median_of(v)}};
  }
  return out;
}

}  // namespace

bool confirm_culprit(Course& c, StepMeasurer& measurer, size_t last_good, size_t first_bad, std::string& why,
                     bool& stopped) {
  const int n = c.options.confirm_tries;
  std::vector<StepRun> again = measurer.measure({last_good, first_bad}, "confirm", n);
  stopped = again[0].stopped || again[1].stopped;
  if (stopped) return false;
  StepRun &lg = again[0], &fb = again[1];
  const StepVote lg_vote =
      lg.skip_reason.empty() ? vote_against(c, c.good_records, lg.records) : skip_vote(lg.skip_reason);
  const StepVote fb_vote =
      fb.skip_reason.empty() ? vote_against(c, c.good_records, fb.records) : skip_vote(fb.skip_reason);
  const StepVote pair_vote = lg.skip_reason.empty() && fb.skip_reason.empty() ? vote_against(c, lg.records, fb.records)
                                                                              : skip_vote("a re-measure failed");
  settle(c, lg, lg_vote, 0);
  settle(c, fb, fb_vote, 0);
  nlohmann::json conf = {{"tries", n},
                         {"last_good",
                          {{"kernel", lg.entry["kernel"]},
                           {"vs_good_endpoint", to_json(lg_vote)},
                           {"distribution", distribution(c, lg.records)}}},
                         {"first_bad",
                          {{"kernel", fb.entry["kernel"]},
                           {"vs_good_endpoint", to_json(fb_vote)},
                           {"vs_last_good", to_json(pair_vote)},
                           {"distribution", distribution(c, fb.records)}}}};
  std::vector<std::string> problems;
  if (fb_vote.verdict != StepVerdict::Bad)
    problems.push_back(fmt::format("first bad {} is not bad against the good endpoint when measured again ({})",
                                   fb.entry["kernel"].get<std::string>(), fb_vote.summary));
  if (lg_vote.verdict != StepVerdict::Good)
    problems.push_back(fmt::format("last good {} is not good when measured again ({})",
                                   lg.entry["kernel"].get<std::string>(), lg_vote.summary));
  if (pair_vote.verdict != StepVerdict::Bad)
    problems.push_back(
        fmt::format("first bad is not bad against last good measured side by side ({})", pair_vote.summary));
  if (c.sequence.kind() == "commit") {
    StepRun rv = measurer.measure_revert(first_bad, n);
    stopped = rv.stopped;
    if (stopped) return false;
    if (rv.skip_reason.empty()) {
      const StepVote rv_vote = vote_against(c, c.good_records, rv.records);
      settle(c, rv, rv_vote, 0);
      conf["revert"] = {
          {"applied", true}, {"vs_good_endpoint", to_json(rv_vote)}, {"distribution", distribution(c, rv.records)}};
      if (rv_vote.verdict != StepVerdict::Good)
        problems.push_back("the bad endpoint with the culprit reverted is not good (" + rv_vote.summary + ")");
    } else {
      settle(c, rv, skip_vote(rv.skip_reason), 0);
      conf["revert"] = {{"applied", false}, {"why", rv.skip_reason}};
    }
  }
  conf["holds"] = problems.empty();
  std::string joined;
  for (const auto& p : problems) joined += (joined.empty() ? "" : "; ") + p;
  conf["problems"] = joined;
  c.doc["result"]["confirmation"] = conf;
  c.save();
  why = joined;
  return problems.empty();
}

}  // namespace kreg::bisect_detail
