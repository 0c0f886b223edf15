// kreg run --plan P --shard I: one shard of a plan as a run of its own.
#include "harness/cli/run_environment.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/matrix_executor.hpp"
#include "harness/matrix/plan_file.hpp"
#include "harness/matrix/run_owner.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "harness/matrix/vm_unit_runner.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"
#include "harness/term/progress.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// The plan fixes the suite, its kernels, overrides and accelerator: a shard
// runs exactly what was planned, wherever it runs.
void check_shard_options(const RunOptions& o) {
  if (o.plan.empty() || o.shard < 0) throw KregError("--plan and --shard go together: kreg run --plan PLAN --shard I");
  std::string bad;
  auto flag = [&](bool given, const char* name) {
    if (given) bad += (bad.empty() ? "" : ", ") + std::string(name);
  };
  flag(o.suite != "default", "a suite");
  flag(!o.resume.empty(), "--resume");
  flag(!o.run_id.empty(), "--run-id");
  flag(o.local, "--local");
  flag(!o.kernels.empty(), "--kernel");
  flag(!o.cgroup_modes.empty(), "--cgroup-mode");
  flag(!o.targets.empty(), "--targets");
  flag(o.page_cache_bytes >= 0, "--page-cache-bytes");
  flag(o.samples > 0, "--samples");
  flag(o.vcpus > 0, "--vcpus");
  flag(o.memory_mib > 0, "--memory");
  flag(o.timeout_s > 0, "--timeout");
  flag(o.hello_timeout_s > 0, "--hello-timeout");
  flag(!o.append.empty(), "--append");
  flag(o.accel != "auto", "--accel");
  if (!bad.empty())
    throw KregError("--plan fixes what a shard runs; drop " + bad + " (or give them to kreg plan for a new plan)");
}

// kreg run --plan P --shard I: the shard's units as a run of their own in
// <results>/<plan_id>/shards/<I>/ (no file outside it is written, so shards
// can share a results directory). Running a shard again completes it: units
// with a record are kept, the others run.
}  // namespace

RunResult run_shard(const RunOptions& options) {
  check_shard_options(options);
  Progress progress;
  Plan plan = load_plan(options.plan);
  if (options.shard >= plan.shard_count())
    throw KregError(
        fmt::format("--shard {} is not in plan {} (shards 0-{})", options.shard, plan.path, plan.shard_count() - 1));
  Suite suite = suite_from_json(plan.json.at("suite_effective"));
  suite.text = plan.json.value("suite_text", "");
  const std::vector<std::string> ids = plan.shard_units(options.shard);
  const std::set<std::string> only(ids.begin(), ids.end());
  const auto& planned_kernels = plan.json.at("kernels");
  std::vector<bool> needed(planned_kernels.size(), false);
  for (const auto& u : plan.json.at("units"))
    if (only.contains(u.at("unit_id")))
      for (size_t k = 0; k < planned_kernels.size(); ++k)
        needed[k] = needed[k] || planned_kernels[k]["label"] == u["kernel"];
  check_vm_tools(options);
  std::vector<KernelImage> kernels = plan_kernels(plan, needed, resolve_cache_dir(options.cache_dir));
  nlohmann::json kernels_json = nlohmann::json::array();
  for (size_t k = 0; k < kernels.size(); ++k)
    kernels_json.push_back({{"spec", planned_kernels[k]["spec"]},
                            {"label", planned_kernels[k]["label"]},
                            {"kernel", to_json(kernels[k])}});

  // The shard's units must be units of this matrix, or execute() would quietly run fewer.
  std::vector<std::string> labels;
  for (const auto& k : kernels) labels.push_back(kernel_label(k));
  std::set<std::string> matrix;
  for (const auto& u : plan_matrix(suite, labels)) matrix.insert(u.unit_id);
  for (const auto& id : ids)
    if (!matrix.contains(id))
      throw KregError("plan " + plan.path + " gives shard " + std::to_string(options.shard) + " unit " + id +
                      ", which its suite and kernels do not make (a damaged plan, or one of another kreg)");
  const std::string root = options.results_root + "/" + plan.id() + "/shards";
  const std::string shard_id = std::to_string(options.shard);
  const bool again = fs::exists(root + "/" + shard_id + "/run.json");
  ResultStore store = again ? open_run_as_owner(root, shard_id, /*link_latest=*/false)
                            : ResultStore(root, shard_id, false, /*link_latest=*/false);
  RunOptions effective = options;
  effective.accel = plan.json.value("accel", "auto");
  UnitEnvironment env = make_environment(effective, suite, plan.id(), &store);
  progress.note("kreg: accelerator " + to_string(env.accel.accelerator) + ": " + env.accel.reason);
  RunState state{{}, &store, {}};
  if (again) {
    state.run = nlohmann::json::parse(std::ifstream(store.dir() + "/run.json"), nullptr, false);
    if (state.run.is_discarded() ||
        state.run.value("shard", nlohmann::json::object()).value("plan_sha256", "") != plan.sha256)
      throw KregError(store.dir() + " holds results of another plan than " + plan.path +
                      " (same plan id, different contents); pass another --results");
    kill_leftovers(state.run);
    if (state.run["machine"].value("accelerator", "") != to_string(env.accel.accelerator))
      throw KregError("shard " + shard_id + " was measured under " + state.run["machine"].value("accelerator", "?") +
                      " but this machine would use " + to_string(env.accel.accelerator) +
                      "; timings would not compare");
    state.run["resumed"].push_back({{"at", make_run_id("rerun")}});
    state.run["shard"]["plan_file"] = plan.path;
    state.run["kernels"] = kernels_json;
  } else {
    state.run =
        new_run_json({plan.id(), suite.name, plan.json.at("suite_effective"), kernels_json, machine_json(env, suite)});
    state.run["shard"] = {{"plan_id", plan.id()},   {"plan_sha256", plan.sha256},  {"plan_file", plan.path},
                          {"index", options.shard}, {"count", plan.shard_count()}, {"units", ids}};
    state.run["plan"] = plan.json;
  }
  progress.note(fmt::format("kreg: plan {} shard {} of {}: {} units, results in {}", plan.id(), options.shard,
                            plan.shard_count(), ids.size(), store.dir()));
  StopOnSignal stop_on_signal;
  int parallel = options.parallel > 0 ? options.parallel : plan.json.value("vms_per_shard", 1);
  return {execute_units(state, suite, kernels, env, parallel, &only), store.dir()};
}

}  // namespace kreg
