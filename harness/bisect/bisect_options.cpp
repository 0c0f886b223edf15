// bisect.json's "options": everything --resume needs to go on exactly as the
// bisect started (the job as run, tries, metrics, compare's settings).
#include "harness/bisect/bisect_driver.hpp"

namespace kreg {

nlohmann::json options_to_json(const BisectOptions& o) {
  return {{"suite_effective", suite_to_json(o.suite)},
          {"job_metrics", o.job_metrics},
          {"metrics", o.metrics},
          {"tries", o.tries},
          {"confirm_tries", o.confirm_tries},
          {"width", o.width},
          {"parallel", o.parallel},
          {"accel", o.accel},
          {"qemu", o.qemu},
          {"compare",
           {{"threshold_pct", o.compare.threshold_pct},
            {"threshold_for", o.compare.threshold_for},
            {"alpha", o.compare.alpha},
            {"min_points", o.compare.min_regressed_points}}},
          {"command", o.command}};
}

BisectOptions options_from_json(const nlohmann::json& j, const std::string& results_root) {
  BisectOptions o;
  o.results_root = results_root;
  o.suite = suite_from_json(j.at("suite_effective"));
  o.job_metrics = j.value("job_metrics", std::vector<std::string>{});
  o.metrics = j.value("metrics", std::vector<std::string>{});
  o.tries = j.value("tries", 3);
  o.confirm_tries = j.value("confirm_tries", o.tries);
  o.width = j.value("width", 0);
  o.parallel = j.value("parallel", 0);
  o.accel = j.value("accel", "auto");
  o.qemu = j.value("qemu", o.qemu);
  const nlohmann::json& cmp = j.value("compare", nlohmann::json::object());
  o.compare.threshold_pct = cmp.value("threshold_pct", 10.0);
  o.compare.threshold_for = cmp.value("threshold_for", std::map<std::string, double>{});
  o.compare.alpha = cmp.value("alpha", 0.01);
  o.compare.min_regressed_points = cmp.value("min_points", size_t{1});
  o.command = j.value("command", std::vector<std::string>{});
  return o;
}

}  // namespace kreg
