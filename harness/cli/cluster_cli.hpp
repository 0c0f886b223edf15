// The command line of running a suite across machines: `kreg plan`,
// `kreg run --plan P --shard I`, `kreg merge`, `kreg submit slurm|k8s`.
// Kept out of main.cpp so that file only wires it in.
#pragma once

#include <CLI/CLI.hpp>

#include "harness/cli/plan_command.hpp"
#include "harness/cli/run_command.hpp"
#include "harness/cluster/merge_command.hpp"
#include "harness/cluster/submit_k8s.hpp"
#include "harness/cluster/submit_slurm.hpp"

namespace kreg {

class ClusterCli {
 public:
  // Adds plan, merge and submit to `app`, and --plan/--shard to `run_cmd`.
  ClusterCli(CLI::App& app, CLI::App* run_cmd, RunOptions& run);
  ClusterCli(const ClusterCli&) = delete;
  ClusterCli& operator=(const ClusterCli&) = delete;
  // Runs the parsed subcommand if it is one of these; false otherwise.
  bool dispatch(int& exit_code) const;

 private:
  PlanOptions plan_;
  MergeOptions merge_;
  SlurmOptions slurm_;
  K8sOptions k8s_;
  CLI::App* plan_cmd_ = nullptr;
  CLI::App* merge_cmd_ = nullptr;
  CLI::App* slurm_cmd_ = nullptr;
  CLI::App* k8s_cmd_ = nullptr;
};

}  // namespace kreg
