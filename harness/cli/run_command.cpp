#include "harness/cli/run_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness/cli/run_environment.hpp"
#include "harness/cli/run_local_command.hpp"
#include "harness/matrix/matrix.hpp"
#include "harness/matrix/matrix_executor.hpp"
#include "harness/matrix/plan_file.hpp"
#include "harness/matrix/run_owner.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "harness/matrix/vm_unit_runner.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"
#include "harness/term/progress.hpp"
#include "scenarios/generator_table.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/source_kernel.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

RunResult resume_run(const RunOptions& options) {
  ResultStore store = open_run_as_owner(options.results_root, options.resume);
  RunState state{nlohmann::json::parse(std::ifstream(store.dir() + "/run.json"), nullptr, false), &store, {}};
  if (state.run.is_discarded() || !state.run.contains("suite_effective"))
    throw KregError(store.dir() + "/run.json is not a resumable kreg run (written by an older kreg, or damaged)");
  kill_leftovers(state.run);
  Suite suite = suite_from_json(state.run["suite_effective"]);
  std::string cache_dir = resolve_cache_dir(options.cache_dir);
  std::vector<KernelImage> kernels;
  for (const auto& k : state.run.at("kernels")) {
    KernelImage image = kernel_from_json(k.at("kernel"));
    // The same kernel, not whatever apt calls newest today.
    if (!fs::exists(image.vmlinuz)) {
      image = obtain_kernel(kernel_spec_from_json(k.value("kernel_spec", k.at("spec"))), cache_dir);
      if (image.image_sha256 != k["kernel"].value("image_sha256", ""))
        throw KregError("kernel " + k.at("spec").get<std::string>() + " now resolves to another image than run " +
                        options.resume + " used; start a new run");
    }
    image.label = k.value("label", image.label);  // the units' names, as planned
    kernels.push_back(image);
  }
  UnitEnvironment env = make_environment(options, suite, options.resume, &store);
  if (state.run["machine"].value("accelerator", "") != to_string(env.accel.accelerator))
    throw KregError("run " + options.resume + " was measured under " + state.run["machine"].value("accelerator", "?") +
                    " but this machine would use " + to_string(env.accel.accelerator) +
                    "; timings would not compare (pass --accel to match)");
  state.run["resumed"].push_back({{"at", make_run_id("resume")}});
  StopOnSignal stop_on_signal;
  return {execute_units(state, suite, kernels, env, options.parallel), store.dir()};
}

// --local: the suite's jobs, one per cgroup mode, on the host kernel.
nlohmann::json local_jobs(const Suite& suite) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& unit : plan_matrix(suite, {"host"}))
    if (unit.repetition == 1) jobs.push_back(unit.job);
  return {{"suite", suite.name}, {"jobs", jobs}};
}

}  // namespace

ResolvedKernels resolve_suite_kernels(const Suite& suite, const std::string& cache_dir) {
  Progress progress;
  ResolvedKernels out;
  const size_t n = suite.kernels.size();
  // Bad input first, for every kernel: a missing tree or patch of the third
  // kernel must not wait for the first kernel's build.
  for (const auto& spec : suite.kernels) check_kernel_spec(spec);
  // Source kernels: tree, patches and config checked (and the config made)
  // before any of them is built.
  std::vector<std::unique_ptr<SourceKernel>> sources(n);
  for (size_t i = 0; i < n; ++i) {
    if (!suite.kernels[i].is_source()) continue;
    progress.status(fmt::format("kreg: kernel {}/{}: preparing {}", i + 1, n, suite.kernels[i].describe()));
    sources[i] = std::make_unique<SourceKernel>(suite.kernels[i], cache_dir);
    sources[i]->prepare();
  }
  for (size_t i = 0; i < n; ++i) {
    const KernelSpec& spec = suite.kernels[i];
    progress.status(fmt::format("kreg: kernel {}/{}: obtaining {}", i + 1, n, spec.describe()));
    KernelImage k = sources[i] ? sources[i]->build() : obtain_kernel(spec, cache_dir);
    progress.note(fmt::format("kreg: kernel {}/{} {}: {} {} (image {}{})", i + 1, n, spec.describe(),
                              k.package.empty() ? kernel_label(k) : k.package, k.package_version, k.vmlinuz,
                              k.modules_dir.empty() ? "" : ", modules " + k.modules_dir));
    const nlohmann::json fixes =
        k.build.is_object() ? k.build.value("fixes", nlohmann::json::array()) : nlohmann::json::array();
    for (const auto& fix : fixes)
      progress.note(fmt::format("kreg: kernel {}/{}: toolchain fix {}: {} ({})", i + 1, n, fix.value("id", ""),
                                fix.value("what", ""), fix.value("why", "")));
    for (size_t j = 0; j < out.images.size(); ++j) {
      if (out.images[j].image_sha256 == k.image_sha256)
        throw KregError("kernels '" + suite.kernels[j].describe() + "' and '" + spec.describe() +
                        "' are the same image; list each kernel once");
      if (kernel_label(out.images[j]) == kernel_label(k))
        throw KregError("kernels '" + suite.kernels[j].describe() + "' and '" + spec.describe() +
                        "' are both labelled " + kernel_label(k) + "; give one a label = \"...\" in the suite");
    }
    out.json.push_back(
        {{"spec", spec.spec}, {"kernel_spec", to_json(spec)}, {"label", kernel_label(k)}, {"kernel", to_json(k)}});
    out.images.push_back(k);
  }
  return out;
}

Suite apply_overrides(Suite suite, const RunOptions& o) {
  if (!o.kernels.empty()) suite.kernels.assign(o.kernels.begin(), o.kernels.end());
  if (!o.cgroup_modes.empty()) {
    for (const auto& m : o.cgroup_modes)
      if (m != "v1" && m != "v2") throw KregError("--cgroup-mode " + m + " is not v1 or v2");
    suite.cgroup_modes = o.cgroup_modes;
    for (auto& job : suite.jobs) job.erase("cgroup_modes");
  }
  if (!o.targets.empty()) try {
      checked_targets(o.targets, "--targets");
    } catch (const std::invalid_argument& e) {
      throw KregError(e.what());
    }
  for (auto& job : suite.jobs) {
    if (job.value("kind", "sweep") != "sweep") continue;
    if (!o.targets.empty()) job["targets"] = o.targets;
    if (o.samples > 0) job["samples"] = o.samples;
    if (o.page_cache_bytes >= 0 && job.value("scenario", "") == "memcg-churn")
      job["params"]["page_cache_bytes"] = o.page_cache_bytes;
  }
  if (o.vcpus < 0 || (o.memory_mib != 0 && o.memory_mib < 128))
    throw KregError("--vcpus must be >= 1 and --memory >= 128 MiB");
  if (o.vcpus > 0) suite.vm.vcpus = o.vcpus;
  if (o.memory_mib > 0) suite.vm.memory_mib = o.memory_mib;
  if (o.timeout_s > 0) suite.vm.timeout_s = o.timeout_s;
  if (o.hello_timeout_s > 0) suite.vm.hello_timeout_s = o.hello_timeout_s;
  if (!o.append.empty()) suite.vm.append += (suite.vm.append.empty() ? "" : " ") + o.append;
  if (o.parallel > 0) suite.vm.parallel = o.parallel;
  check_suite_jobs(suite);
  return suite;
}

void check_suite_jobs(const Suite& suite) {
  for (const auto& job : suite.jobs) try {
      if (job.value("kind", "sweep") == "sweep") check_sweep_job(job);
    } catch (const std::invalid_argument& e) {
      throw KregError(e.what());
    }
}

RunResult run_command(const RunOptions& options) {
  if (!options.plan.empty() || options.shard >= 0) return run_shard(options);
  if (!options.resume.empty()) return resume_run(options);
  Progress progress;
  // Parse and validate everything before any slow work.
  Suite suite = apply_overrides(options.inline_suite ? *options.inline_suite : load_suite(options.suite), options);
  if (options.local) {
    std::string run_id = options.run_id.empty() ? make_run_id(suite.name + "-local") : options.run_id;
    check_run_id_free(options.results_root, run_id);
    return run_local_command(options, suite, local_jobs(suite), run_id);
  }
  std::string run_id = options.run_id.empty() ? make_run_id(suite.name) : options.run_id;
  check_run_id_free(options.results_root, run_id);
  check_vm_tools(options);

  // Every kernel first: a typo in the fourth kernel must not cost an hour of VMs.
  ResolvedKernels resolved = resolve_suite_kernels(suite, resolve_cache_dir(options.cache_dir));
  std::vector<KernelImage>& kernels = resolved.images;
  nlohmann::json& kernels_json = resolved.json;

  ResultStore store(options.results_root, run_id);
  if (!suite.text.empty()) write_file_atomically(store.dir() + "/suite.toml", suite.text);
  UnitEnvironment env = make_environment(options, suite, run_id, &store);
  progress.note("kreg: accelerator " + to_string(env.accel.accelerator) + ": " + env.accel.reason);
  RunState state{
      new_run_json({run_id, suite.name, suite_to_json(suite), kernels_json, machine_json(env, suite)}), &store, {}};
  StopOnSignal stop_on_signal;
  return {execute_units(state, suite, kernels, env, options.parallel), store.dir()};
}

}  // namespace kreg
