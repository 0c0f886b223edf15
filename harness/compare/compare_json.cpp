// compare.json: everything kreg compare decided, machine-readable, for
// dashboards: settings, counts, notes, the findings and every metric's verdict
// with its slope fits and per-point tests. Non-finite numbers are null.
#include <cmath>

#include "harness/compare/compare_command.hpp"

namespace kreg {

using nlohmann::json;

namespace {

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json fit_json(const stats::LinearFit& f) {
  return {{"valid", f.valid},
          {"n", f.n},
          {"slope", number(f.slope)},
          {"slope_lo", number(f.slope_lo)},
          {"slope_hi", number(f.slope_hi)},
          {"intercept", number(f.intercept)},
          {"r_squared", number(f.r_squared)},
          {"confidence", number(f.confidence)}};
}

json slope_json(const SlopeComparison& s) {
  json j = {{"compared", s.compared}};
  if (!s.compared) {
    j["why_not"] = s.why_not;
    return j;
  }
  j.update({{"x_lo", number(s.x_lo)},
            {"x_hi", number(s.x_hi)},
            {"baseline", fit_json(s.base)},
            {"new", fit_json(s.cand)},
            {"extra", number(s.extra)},
            {"baseline_level", number(s.base_level)},
            {"slope_change_pct", number(s.slope_change_pct)},
            {"significant", s.significant},
            {"practical", s.practical},
            {"regressed", s.regressed},
            {"improved", s.improved}});
  return j;
}

json point_json(const PointComparison& p) {
  json j = {{"target", number(p.target)},
            {"x_baseline", number(p.x_base)},
            {"x_new", number(p.x_new)},
            {"baseline_median", number(p.base_median)},
            {"new_median", number(p.new_median)},
            {"baseline_p90", number(p.base_p90)},
            {"new_p90", number(p.new_p90)},
            {"baseline_samples", number(p.base_samples)},
            {"new_samples", number(p.new_samples)},
            {"change_pct", number(p.change_pct)},
            {"timer_ratio_new_over_baseline", number(p.host_worse > 1 ? p.host_worse : 1 / p.host_better)},
            {"significant", p.significant},
            {"non_overlap", p.non_overlap},
            {"practical", p.practical},
            {"regressed", p.regressed},
            {"improved", p.improved}};
  if (p.test.empty()) {
    j["test"] = nullptr;
    j["untested"] = p.untested;
  } else {
    j["test"] = p.test;
    j["p_worse"] = number(p.p_worse);
    j["p_better"] = number(p.p_better);
  }
  return j;
}

}  // namespace

json compare_json(const CompareResult& r) {
  json metrics = json::array();
  for (const auto& m : r.metrics) {
    json points = json::array();
    for (const auto& p : m.points) points.push_back(point_json(p));
    metrics.push_back({{"kernel_baseline", m.kernel_base},
                       {"kernel_new", m.kernel_new},
                       {"job", m.job},
                       {"job_new", m.job_new.empty() ? json(nullptr) : json(m.job_new)},
                       {"family", m.family},
                       {"metric", m.metric},
                       {"unit", m.unit},
                       {"worse", m.worse},
                       {"threshold_pct", number(m.threshold_pct)},
                       {"verdict", verdict_name(m.verdict)},
                       {"reason", m.reason},
                       {"test", m.test},
                       {"points_tested", m.points_tested},
                       {"points_regressed", m.points_regressed},
                       {"points_improved", m.points_improved},
                       {"slope", slope_json(m.slope)},
                       {"points", points}});
  }
  json thresholds = json::object();
  for (const auto& [metric, pct] : r.settings.threshold_for) thresholds[metric] = pct;
  int rc = r.exit_code();
  return {
      {"schema", "kreg.compare"},
      {"schema_version", 1},
      {"baseline", {{"spec", r.baseline_spec}, {"description", r.baseline_desc}}},
      {"new", {{"spec", r.new_spec}, {"description", r.new_desc}}},
      {"settings",
       {{"threshold_pct", r.settings.threshold_pct},
        {"threshold_for", thresholds},
        {"alpha", r.settings.alpha},
        {"min_points", r.settings.min_regressed_points == kMajorityOfPoints ? json("majority")
                                                                            : json(r.settings.min_regressed_points)},
        {"min_samples", r.settings.min_samples}}},
      {"exit_code", rc},
      {"counts",
       {{"metrics", r.metrics.size()},
        {"regression", r.count(Verdict::Regression)},
        {"improved", r.count(Verdict::Improved)},
        {"ok", r.count(Verdict::Ok)},
        {"not_compared", r.count(Verdict::NotCompared)}}},
      {"notes", r.notes},
      {"findings", findings::to_json(r.findings)},
      {"metrics", metrics}};
}

}  // namespace kreg
