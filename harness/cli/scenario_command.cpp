#include "harness/cli/scenario_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/store/result_store.hpp"
#include "scenarios/generator.hpp"
#include "vm/common/error.hpp"

namespace kreg {

nlohmann::json parse_params(const std::vector<std::string>& params) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& p : params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw KregError("--param '" + p + "' must be KEY=VALUE (e.g. --param mode=live)");
    std::string value = p.substr(eq + 1);
    nlohmann::json parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    out[p.substr(0, eq)] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
  }
  return out;
}

int scenario_command(const ScenarioOptions& scenario, RunOptions run) {
  if (scenario.targets.empty() && scenario.count < 0) throw KregError("--count must be >= 0");
  const nlohmann::json params = parse_params(scenario.params);
  nlohmann::json job = {{"job_id", "scenario/" + scenario.name},
                        {"kind", "sweep"},
                        {"scenario", scenario.name},
                        {"params", params},
                        {"targets", scenario.targets.empty() ? std::vector<int64_t>{scenario.count} : scenario.targets},
                        {"latency", scenario.latency},
                        {"reclaim", scenario.reclaim},
                        {"kernel_trace", scenario.kernel_trace},
                        {"samples", run.samples > 0 ? run.samples : 100},
                        {"warmup", 5}};
  if (params.value("page_cache", "") == "ext4" || scenario.name == "dentry-negative") job["scratch_disk"] = true;
  Suite suite;
  suite.name = "scenario-" + scenario.name;
  suite.kernels = {""};         // --kernel replaces it; "" = the newest Debian 6.1 cloud kernel
  suite.cgroup_modes = {"v1"};  // --cgroup-mode replaces it
  suite.jobs = {job};
  run.inline_suite = suite;
  RunResult result = run_command(run);
  // The one record: jobs/<kernel>/<job>.json in a VM run, jobs/<job>.json with --local.
  std::string path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(result.run_dir + "/jobs"))
    if (e.path().extension() == ".json") path = e.path().string();
  if (path.empty()) throw KregError("no record arrived for " + scenario.name);
  nlohmann::json record = nlohmann::json::parse(std::ifstream(path));
  nlohmann::json summary = {{"scenario", scenario.name},
                            {"params", params},
                            {"status", record["status"]},
                            {"error", record["error"]},
                            {"created", record["created"]},
                            {"counters_before", record["counters_before"]},
                            {"counters_after", record["counters_after"]},
                            {"per_object", record["per_object"]},
                            {"kernel", record["kernel"]["release"]},
                            {"accelerator", record["machine"]["accelerator"]},
                            {"record", path}};
  if (record.contains("reclaim")) summary["reclaim"] = record["reclaim"];
  if (!record["points"].empty()) {
    const auto& last = record["points"].back();
    summary["measured"] = last["measured"];
    summary["ops_per_s"] = last.value("ops_per_s", 0.0);
    summary["step_s"] = last["step_s"];
  }
  std::printf("%s\n", summary.dump(2).c_str());
  return record["status"] == "ok" ? result.exit_code : 2;
}

}  // namespace kreg
