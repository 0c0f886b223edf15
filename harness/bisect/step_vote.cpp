#include "harness/bisect/step_vote.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kreg {

StepVote vote(const std::vector<PairVerdict>& pairs, const std::vector<std::string>& metrics, int total) {
  StepVote out;
  bool any_bad = false, all_good = !metrics.empty();
  std::string bad_part, open_part;
  for (const auto& metric : metrics) {
    MetricVote m;
    m.metric = metric;
    m.total = total;
    std::string compared_example;
    for (const auto& p : pairs) {
      if (p.metric != metric) continue;
      if (p.verdict == Verdict::NotCompared) {
        if (m.example.empty() && compared_example.empty()) compared_example = "not compared: " + p.reason;
        continue;
      }
      ++m.compared;
      if (p.verdict == Verdict::Regression) {
        ++m.regressed;
        if (m.example.empty())
          m.example = fmt::format("try {} vs good try {}: {}", p.try_index + 1, p.good_index + 1, p.reason);
      } else if (compared_example.empty() || compared_example.rfind("not compared", 0) == 0) {
        compared_example = fmt::format("try {} vs good try {}: {}: {}", p.try_index + 1, p.good_index + 1,
                                       verdict_name(p.verdict), p.reason);
      }
    }
    if (m.example.empty()) m.example = compared_example;
    const int clean = m.compared - m.regressed;
    if (2 * m.regressed > total)
      m.verdict = StepVerdict::Bad;
    else if (2 * clean > total)
      m.verdict = StepVerdict::Good;
    else
      m.verdict = StepVerdict::Skip;
    const std::string counts =
        fmt::format("{} {} of {} comparisons regress, {} compared", metric, m.regressed, total, m.compared);
    if (m.verdict == StepVerdict::Bad) {
      any_bad = true;
      bad_part += (bad_part.empty() ? "" : "; ") + counts + " (" + m.example + ")";
    }
    if (m.verdict != StepVerdict::Good) all_good = false;
    if (m.verdict == StepVerdict::Skip) open_part += (open_part.empty() ? "" : "; ") + counts;
    out.metrics.push_back(std::move(m));
  }
  if (any_bad) {
    out.verdict = StepVerdict::Bad;
    out.summary = "bad: " + bad_part;
  } else if (all_good) {
    out.verdict = StepVerdict::Good;
    int regressed = 0, compared = 0;
    for (const auto& m : out.metrics) {
      regressed += m.regressed;
      compared += m.compared;
    }
    out.summary = fmt::format("good: {} metric(s), {} of {} comparisons compared, {} regress", out.metrics.size(),
                              compared, total * static_cast<int>(out.metrics.size()), regressed);
    if (out.metrics.size() == 1) out.summary += " (" + out.metrics[0].example + ")";
  } else {
    out.verdict = StepVerdict::Skip;
    out.summary = metrics.empty() ? "skip: no metric to compare" : "skip: could not compare: " + open_part;
  }
  return out;
}

namespace {

std::string latency(double ns) {
  if (ns >= 1e6) return fmt::format("{:.3g} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.3g} us", ns / 1e3);
  return fmt::format("{:.3g} ns", ns);
}

// compare's reason with the figures behind it: the slopes when the slope
// decided, and the worst point (the largest change in the worse direction).
std::string detail(const MetricComparison& m) {
  std::string out = m.reason;
  if (m.verdict == Verdict::NotCompared) return out;
  if (m.slope.compared && m.slope.regressed)
    out += fmt::format("; slope {:.3g} -> {:.3g} ns/object", m.slope.base.slope, m.slope.cand.slope);
  const PointComparison* worst = nullptr;
  for (const auto& p : m.points)
    if (!worst || p.change_pct > worst->change_pct) worst = &p;
  if (worst)
    out += fmt::format("; @{:g}: {} -> {} ({:+.0f}%, p={:.2g})", worst->target, latency(worst->base_median),
                       latency(worst->new_median), worst->change_pct, worst->p_worse);
  return out;
}

}  // namespace

std::vector<PairVerdict> compare_tries(const std::vector<nlohmann::json>& good,
                                       const std::vector<nlohmann::json>& tries,
                                       const std::vector<std::string>& metrics, const CompareSettings& settings,
                                       bool skip_same_index) {
  std::vector<PairVerdict> out;
  for (size_t t = 0; t < tries.size(); ++t) {
    for (size_t g = 0; g < good.size(); ++g) {
      if (skip_same_index && t == g) continue;
      if (tries[t].is_null() || good[g].is_null()) continue;
      for (auto& m : compare_records(good[g], tries[t], settings)) {
        if (std::find(metrics.begin(), metrics.end(), m.metric) == metrics.end()) continue;
        out.push_back({t, g, m.metric, m.verdict, detail(m)});
      }
    }
  }
  return out;
}

nlohmann::json to_json(const StepVote& v) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& m : v.metrics)
    metrics.push_back({{"metric", m.metric},
                       {"verdict", verdict_text(m.verdict)},
                       {"regressed", m.regressed},
                       {"compared", m.compared},
                       {"comparisons", m.total},
                       {"example", m.example}});
  return {{"verdict", verdict_text(v.verdict)}, {"summary", v.summary}, {"metrics", metrics}};
}

}  // namespace kreg
