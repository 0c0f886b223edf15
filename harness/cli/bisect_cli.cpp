#include "harness/cli/bisect_cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/bisect/bisect_driver.hpp"
#include "harness/bisect/commit_kernels.hpp"
#include "harness/bisect/packaged_kernels.hpp"
#include "harness/cli/report_command.hpp"
#include "harness/cli/scenario_command.hpp"
#include "harness/store/result_store.hpp"
#include "scenarios/generator_table.hpp"
#include "vm/boot/accelerator.hpp"
#include "vm/boot/guest_image.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/common/sha256.hpp"
#include "vm/kernels/source_kernel.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// The one job to run at every step, as the guest reads it, and its cgroup mode.
Suite bisect_suite(const BisectCliOptions& o, std::string& mode) {
  Suite suite;
  nlohmann::json job;
  if (!o.scenario.empty()) {
    if (!o.job.empty()) throw KregError("give --job ID or --scenario NAME, not both");
    nlohmann::json params = parse_params(o.params);
    mode = o.cgroup_mode.empty() ? "v1" : o.cgroup_mode;
    job = {{"job_id", "inline/" + o.scenario},
           {"kind", "sweep"},
           {"scenario", o.scenario},
           {"params", params},
           {"targets", std::vector<int64_t>{0, 1000, 2000}},
           {"samples", 100},
           {"warmup", 5}};
    if (params.value("page_cache", "") == "ext4" || o.scenario == "dentry-negative") job["scratch_disk"] = true;
    suite.name = "bisect-inline";
    suite.vm.vcpus = 1;
    suite.vm.timeout_s = 1500;
  } else {
    if (o.job.empty()) throw KregError("name the job to run at every step: --job ID (from --suite) or --scenario NAME");
    if (!o.params.empty()) throw KregError("--param goes with --scenario; a suite's job has its parameters");
    suite = load_suite(o.suite);
    std::string id = o.job;
    mode = o.cgroup_mode;
    for (const char* m : {"/v1", "/v2"})
      if (id.size() > 3 && id.ends_with(m)) {
        mode = std::string(m + 1);
        id.resize(id.size() - 3);
      }
    std::string known;
    for (const auto& j : suite.jobs) {
      known += (known.empty() ? "" : ", ") + j.value("job_id", std::string());
      if (j.value("job_id", "") == id) job = j;
    }
    if (job.is_null()) throw KregError("job '" + o.job + "' is not in suite " + suite.path + " (it has " + known + ")");
    if (job.value("kind", "sweep") != "sweep")
      throw KregError("job '" + o.job + "' is a " + job.value("kind", "") +
                      " job; bisect needs a sweep with latencies");
    const std::vector<std::string> modes =
        job.contains("cgroup_modes") ? job["cgroup_modes"].get<std::vector<std::string>>() : suite.cgroup_modes;
    if (mode.empty()) mode = modes.empty() ? "v1" : modes.front();
  }
  if (mode != "v1" && mode != "v2") throw KregError("--cgroup-mode " + mode + " is not v1 or v2");
  job.erase("cgroup_modes");
  suite.jobs = {job};
  suite.cgroup_modes = {mode};
  suite.kernels = {};
  suite.repetitions = 1;
  suite.name = "bisect";
  RunOptions run = o.run;
  run.kernels.clear();
  run.cgroup_modes.clear();
  return apply_overrides(suite, run);
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// A commit's checkout becomes a kernel through the source build (issue 12)
// directly: the checkout is the tree (no mirror of it), <work>/obj beside it
// is the one object tree every step shares, so a step rebuilds only what its
// commit changed, and ccache's base dir <work> gives the same relative paths
// (src/, obj/) as a tarball's workspace, so a tree already built there hits.
// The source identity is the commit (plus the diff when a revert is applied
// on top): a commit built before is found in the cache without running make.
KernelImage build_tree(const std::string& tree, const std::string& cache_dir, std::string& how) {
  const CapturedRun head = run_captured({"git", "-C", tree, "rev-parse", "HEAD"});
  if (head.exit_code != 0) throw KregError("git rev-parse HEAD in " + tree + " failed: " + first_line(head.err));
  const std::string commit = first_line(head.out);
  const std::string diff = run_captured({"git", "-C", tree, "diff", "HEAD"}).out;
  const std::string work = fs::path(tree).parent_path().string();
  SourceBuildRequest r;
  r.what = "commit " + commit.substr(0, 12) + (diff.empty() ? "" : " with changes (revert)");
  r.tree = tree;
  r.source_id = "git:" + commit + (diff.empty() ? "" : "+diff-sha256:" + sha256_text(diff));
  r.object_dir = work + "/obj";
  r.kernels_dir = cache_dir + "/kernels";
  r.state_dir = work;
  const SourceBuild b = build_kernel_source(r);
  const nlohmann::json& rec = b.record;
  how = b.cached ? "cached"
                 : fmt::format("built{}: {} files compiled, make {:.0f} s{}",
                               rec.value("incremental", false) ? " incrementally" : " (full)",
                               rec.value("files_compiled", 0), rec.value("build_wall_s", 0.0),
                               rec.contains("ccache") && rec["ccache"].value("used", false) ? ", ccache" : "");
  return kernel_from_source_build(b, "");
}

void draw_plot(const std::string& python, const std::string& dir) {
  const std::string script = plots_dir() + "/bisect_plot.py";
  if (!fs::exists(script)) {
    std::fprintf(stderr, "kreg: warning: %s is missing: no bisect.png (set KREG_PLOTS_DIR)\n", script.c_str());
    return;
  }
  if (wait_for_exit(spawn_process({python, script, dir + "/bisect.json", "--out", dir + "/bisect.png"})) != 0)
    std::fprintf(stderr, "kreg: warning: plots/bisect_plot.py failed: no bisect.png (install python3-matplotlib)\n");
}

}  // namespace

std::vector<std::string> job_metric_names(const nlohmann::json& job, const std::string& mode) {
  GeneratorContext context;
  context.cgroup_mode = mode;
  try {
    const GeneratorInfo& info = generator_info(job.value("scenario", ""));
    std::unique_ptr<Generator> generator = info.make(job.value("params", nlohmann::json::object()), context);
    std::vector<std::string> names = {"timer_overhead"};
    for (const StatRead& r : generator->stat_reads()) names.push_back(r.metric);
    return names;
  } catch (const std::invalid_argument& e) {
    throw KregError("job " + job.value("job_id", std::string("?")) + ": " + e.what());
  }
}

CLI::App* add_bisect_command(CLI::App& app, BisectCliOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "bisect", "find the kernel (package or commit) that made a job's latencies regress; exit 0 culprit found, 2 not");
  cmd->add_option("kernels", o.kernels,
                  "packaged kernels: one Debian list (debian:bookworm:6.1, debian:bookworm:6.1.0-47..6.1.0-57) or "
                  ".deb/.rpm/bzImage files and pinned debian:<suite>:<abi> specs, oldest (good) first");
  cmd->add_option("--repo", o.repo, "a kernel git history: bisect the commits from --good to --bad");
  cmd->add_option("--good", o.good,
                  "the good end: a commit (with --repo) or a kernel of the list (default: the first)");
  cmd->add_option("--bad", o.bad, "the bad end: a commit (with --repo) or a kernel of the list (default: the last)");
  cmd->add_option("--job", o.job, "the job to run at every step, an id of --suite (e.g. netns/dead)");
  cmd->add_option("--suite", o.suite, "the suite --job comes from")->capture_default_str();
  cmd->add_option("--scenario", o.scenario, "an inline job instead of --job: a generator name");
  cmd->add_option("--param,-p", o.params, "--scenario's parameter KEY=VALUE (repeatable)");
  cmd->add_option("--metric", o.metric, "the metric to compare, or 'all' (every metric of the job but timer_overhead)")
      ->capture_default_str();
  cmd->add_option("--tries", o.tries, "boots per kernel")->capture_default_str();
  cmd->add_option("--confirm-tries", o.confirm_tries, "boots of first bad and last good to confirm (default --tries)");
  cmd->add_option("--width", o.width, "kernels measured at once (default: what suits the host's VM slots)");
  cmd->add_option("--threshold", o.threshold_pct, "kreg compare's practical threshold, percent")->capture_default_str();
  cmd->add_option("--threshold-for", o.threshold_for, "METRIC=PCT (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--alpha", o.alpha, "kreg compare's significance level")->capture_default_str();
  cmd->add_option("--min-points", o.min_points, "regressed points that make a metric regress")->capture_default_str();
  cmd->add_option("--cgroup-mode", o.cgroup_mode, "v1 or v2 for a cgroup job (default: the suite's first)");
  cmd->add_option("--targets", o.run.targets, "the job's sweep targets, e.g. 0,1000,2000")->delimiter(',');
  cmd->add_option("--samples", o.run.samples, "latency samples per metric and point");
  cmd->add_option("--vcpus", o.run.vcpus, "guest vCPUs");
  cmd->add_option("--memory", o.run.memory_mib, "guest memory in MiB");
  cmd->add_option("--timeout", o.run.timeout_s, "seconds before a VM is killed");
  cmd->add_option("--hello-timeout", o.run.hello_timeout_s, "seconds to wait for the guest agent's hello");
  cmd->add_option("--parallel", o.run.parallel, "VMs at once (default: host CPUs / vCPUs per VM)");
  cmd->add_option("--accel", o.run.accel, "auto, kvm or tcg")->capture_default_str();
  cmd->add_option("--qemu", o.run.qemu, "QEMU binary")->capture_default_str();
  cmd->add_option("--cache", o.run.cache_dir, "kernel cache directory (default: ~/.cache/kreg)");
  cmd->add_option("--results", o.run.results_root, "results root directory")->capture_default_str();
  cmd->add_option("--bisect-id", o.bisect_id, "name of the bisect's directory (default: timestamp-bisect)");
  cmd->add_option("--resume", o.resume, "continue bisect ID without re-running its finished steps");
  cmd->add_option("--python", o.python, "Python with matplotlib, for bisect.png")->capture_default_str();
  return cmd;
}

int bisect_command(const BisectCliOptions& o, const std::vector<std::string>& argv) {
  const std::string cache_dir = o.run.cache_dir.empty() ? default_cache_dir() : o.run.cache_dir;
  const std::string work_dir_root = cache_dir + "/bisect-trees/";
  auto builder = [cache_dir](const std::string& tree, std::string& how) { return build_tree(tree, cache_dir, how); };
  BisectOptions options;
  std::unique_ptr<KernelSequence> sequence;
  nlohmann::json previous;
  if (!o.resume.empty()) {
    const std::string path = o.run.results_root + "/" + o.resume + "/bisect.json";
    previous = nlohmann::json::parse(std::ifstream(path), nullptr, false);
    if (!fs::exists(path) || previous.is_discarded() || previous.value("schema", "") != "kreg.bisect")
      throw KregError("no bisect " + o.resume + " to resume in " + o.run.results_root + " (" + path +
                      " is missing or not a kreg bisect)");
    options = options_from_json(previous.at("options"), o.run.results_root);
    options.bisect_id = o.resume;
    const nlohmann::json& seq = previous.at("sequence");
    sequence = seq.value("kind", "") == "commit"
                   ? commit_sequence_from_json(seq, work_dir_root + sha256_text(seq.value("repo", "")), builder)
                   : packaged_sequence_from_json(seq, cache_dir);
  } else {
    if (o.tries < 1) throw KregError("--tries must be at least 1");
    if (o.confirm_tries < -1) throw KregError("--confirm-tries must be 0 or more");
    if (o.width < 0) throw KregError("--width must be 0 (automatic) or more");
    if (!(o.threshold_pct >= 0)) throw KregError("--threshold must be a percentage >= 0");
    if (!(o.alpha > 0 && o.alpha < 1)) throw KregError("--alpha must be between 0 and 1");
    if (o.min_points < 1) throw KregError("--min-points must be at least 1");
    std::string mode;
    options.suite = bisect_suite(o, mode);
    const nlohmann::json& job = options.suite.jobs.front();
    options.job_metrics = job_metric_names(job, mode);
    if (o.metric != "all") {
      const auto& known = options.job_metrics;
      if (std::find(known.begin(), known.end(), o.metric) == known.end()) {
        std::string list;
        for (const auto& m : known) list += (list.empty() ? "" : ", ") + m;
        throw KregError("--metric " + o.metric + " is not a metric job " + job.value("job_id", "?") + " produces (" +
                        mode + ": " + list + ")");
      }
      options.metrics = {o.metric};
    }
    options.tries = o.tries;
    options.confirm_tries = o.confirm_tries < 0 ? o.tries : o.confirm_tries;
    options.width = o.width;
    options.parallel = o.run.parallel;
    options.accel = o.run.accel;
    options.qemu = o.run.qemu;
    options.compare.threshold_pct = o.threshold_pct;
    options.compare.alpha = o.alpha;
    options.compare.min_regressed_points = o.min_points;
    for (const auto& spec : o.threshold_for) {
      size_t eq = spec.find('=');
      try {
        if (eq == std::string::npos || eq == 0) throw std::invalid_argument(spec);
        options.compare.threshold_for[spec.substr(0, eq)] = std::stod(spec.substr(eq + 1));
      } catch (const std::exception&) {
        throw KregError("--threshold-for '" + spec + "': expected METRIC=PCT");
      }
    }
    options.command = argv;
    options.results_root = o.run.results_root;
    options.bisect_id = o.bisect_id.empty() ? make_run_id("bisect") : o.bisect_id;
    if (fs::exists(options.results_root + "/" + options.bisect_id + "/bisect.json"))
      throw KregError("results directory " + options.results_root + "/" + options.bisect_id +
                      " already holds a bisect (choose another --bisect-id, or --resume it)");
    find_qemu(o.run.qemu);
    locate_guest_binaries();
    if (!o.repo.empty()) {
      if (!o.kernels.empty()) throw KregError("give kernels or --repo, not both");
      sequence =
          commit_sequence(o.repo, o.good, o.bad, work_dir_root + sha256_text(fs::canonical(o.repo).string()), builder);
    } else {
      sequence = packaged_sequence(o.kernels, o.good, o.bad, cache_dir);
    }
  }
  std::fprintf(stderr, "kreg: bisect %s: %zu %s kernels, %s ... %s; results in %s/%s\n", options.bisect_id.c_str(),
               sequence->size(), sequence->kind().c_str(), sequence->entries().front().name.c_str(),
               sequence->entries().back().name.c_str(), options.results_root.c_str(), options.bisect_id.c_str());
  BisectOutcome outcome = run_bisect(*sequence, options, previous);
  draw_plot(o.python, outcome.dir);
  std::printf("%s\n", outcome.dir.c_str());
  if (outcome.exit_code == 0) {
    std::printf("kreg: bisect: %s\n", outcome.message.c_str());
    return 0;
  }
  if (outcome.exit_code == 130) {
    std::fprintf(stderr, "kreg: %s\n", outcome.message.c_str());
    return 130;
  }
  throw KregError(outcome.message);
}

}  // namespace kreg
