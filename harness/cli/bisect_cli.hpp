// `kreg bisect`: from "the new kernel is slower" to the release or commit
// that did it. Parses and checks everything cheap (job, metric, kernels or
// revisions, numbers) before anything slow, runs harness/bisect's course and
// draws plots/bisect_plot.py's figure.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "harness/cli/run_command.hpp"

namespace kreg {

struct BisectCliOptions {
  std::vector<std::string> kernels;  // packaged: one Debian list or kernels in order
  std::string repo, good, bad;       // commits: --repo PATH --good REV --bad REV
  std::string job, suite = "default";
  std::string scenario;  // an inline job instead of --job
  std::vector<std::string> params;
  std::string metric = "all";
  int tries = 3;
  int confirm_tries = -1;  // -1 = --tries
  int width = 0;
  double threshold_pct = 10;
  std::vector<std::string> threshold_for;
  double alpha = 0.01;
  size_t min_points = 1;
  std::string resume;
  std::string bisect_id;
  std::string python = "python3";
  std::string cgroup_mode;
  RunOptions run;  // VM options, --results, --cache, --accel, --qemu, --targets, --samples
};

// Adds the subcommand and its options to `app`.
CLI::App* add_bisect_command(CLI::App& app, BisectCliOptions& options);

// Every latency metric a sweep of `job` records in cgroup `mode`:
// timer_overhead and what its generator times. Creates nothing; KregError
// for an unknown scenario or a bad parameter.
std::vector<std::string> job_metric_names(const nlohmann::json& job, const std::string& mode);

// Returns the exit code: 0 culprit found and confirmed; throws KregError
// (exit 2) with the one-line answer when it cannot be decided or a check
// stops it; 130 when stopped by Ctrl-C.
int bisect_command(const BisectCliOptions& options, const std::vector<std::string>& argv);

}  // namespace kreg
