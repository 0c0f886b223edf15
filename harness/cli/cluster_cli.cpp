#include "harness/cli/cluster_cli.hpp"

namespace kreg {

ClusterCli::ClusterCli(CLI::App& app, CLI::App* run_cmd, RunOptions& run) {
  run_cmd->add_option("--plan", run.plan, "run one shard of a plan (kreg plan): with --shard I")->excludes("--resume");
  run_cmd->add_option("--shard", run.shard, "the shard of --plan to run, 0 to shards-1")->needs("--plan");
  run_cmd->get_option("--plan")->needs("--shard");

  RunOptions& o = plan_.run;
  plan_cmd_ = app.add_subcommand(
      "plan", "split a suite's matrix into N shards for separate machines: kreg plan SUITE --shards N");
  plan_cmd_->add_option("suite", o.suite, "suite name or .toml path")->capture_default_str();
  plan_cmd_->add_option("--shards", plan_.shards, "number of shards")->required();
  plan_cmd_->add_option("--out", plan_.out, "plan file (default: RESULTS/<plan-id>/plan.json)");
  plan_cmd_->add_option("--vms-per-shard", plan_.vms_per_shard, "VMs one shard runs at once")->capture_default_str();
  plan_cmd_->add_option("--results", o.results_root, "results root the default --out lies in")->capture_default_str();
  plan_cmd_->add_option("--run-id", o.run_id, "plan id = the merged run's id (default: timestamp-suite)");
  plan_cmd_->add_option("--accel", o.accel, "what every shard asks for: auto, kvm or tcg")->capture_default_str();
  plan_cmd_->add_option("--cache", o.cache_dir, "kernel cache directory (default: ~/.cache/kreg)");
  plan_cmd_->add_option("--kernel", o.kernels, "kernel under test, repeatable, replacing the suite's")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  plan_cmd_->add_option("--cgroup-mode", o.cgroup_modes, "cgroup modes replacing the suite's: v1, v2 (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  plan_cmd_->add_option("--targets", o.targets, "sweep targets, e.g. 0,500,1000")->delimiter(',');
  plan_cmd_->add_option("--page-cache-bytes", o.page_cache_bytes, "bytes of tmpfs page cache per memcg");
  plan_cmd_->add_option("--samples", o.samples, "latency samples per metric and point");
  plan_cmd_->add_option("--vcpus", o.vcpus, "guest vCPUs (default: the suite's)");
  plan_cmd_->add_option("--memory", o.memory_mib, "guest memory in MiB (default: the suite's, or sized from the job)");
  plan_cmd_->add_option("--timeout", o.timeout_s, "seconds before a VM is killed (default: the suite's)");
  plan_cmd_->add_option("--hello-timeout", o.hello_timeout_s, "seconds to wait for the guest's hello");
  plan_cmd_->add_option("--append", o.append, "extra guest kernel command line");

  merge_cmd_ = app.add_subcommand(
      "merge", "merge a plan's shard results into one run: kreg merge RESULTS/<plan-id> [--out RUN_DIR]");
  merge_cmd_->add_option("dirs", merge_.inputs, "shard run directories, their shards/ directory, or RESULTS/<plan-id>")
      ->required();
  merge_cmd_->add_option("--plan", merge_.plan, "plan file (default: the one the shards recorded)");
  merge_cmd_->add_option("--out", merge_.out, "merged run directory (default: RESULTS/<plan-id>)");
  merge_cmd_->add_flag("--allow-missing", merge_.allow_missing, "exit 0 even if units of the plan have no record");

  CLI::App* submit = app.add_subcommand("submit", "run a plan's shards on a batch system: kreg submit slurm|k8s PLAN");
  submit->require_subcommand(1);
  slurm_cmd_ = submit->add_subcommand("slurm", "one sbatch job array (task I = shard I) and a dependent merge job");
  slurm_cmd_->add_option("plan", slurm_.plan, "plan file (kreg plan)")->required();
  slurm_cmd_->add_option("--results", slurm_.results_root, "results root shared with the nodes")->capture_default_str();
  slurm_cmd_->add_option("--partition", slurm_.partition, "Slurm partition");
  slurm_cmd_->add_option("--cache", slurm_.cache_dir, "kernel cache directory for the shards");
  slurm_cmd_->add_option("--kreg", slurm_.kreg, "kreg binary on the nodes (default: this one)");
  slurm_cmd_->add_option("--sbatch", slurm_.sbatch, "sbatch binary")->capture_default_str();
  slurm_cmd_->add_flag("--dry-run", slurm_.dry_run, "write and print the batch scripts, submit nothing");
  k8s_cmd_ = submit->add_subcommand("k8s", "write an Indexed Job manifest (pod I = shard I) and a merge Job");
  k8s_cmd_->add_option("plan", k8s_.plan, "plan file (kreg plan)")->required();
  k8s_cmd_->add_option("--volume-claim", k8s_.volume_claim, "PersistentVolumeClaim for the results")->required();
  k8s_cmd_
      ->add_option("--image", k8s_.image,
                   "container image holding kreg and QEMU (default: the one image/build.sh builds from this kreg)")
      ->capture_default_str();
  k8s_cmd_->add_option("--kreg", k8s_.kreg, "kreg in the image")->capture_default_str();
  k8s_cmd_->add_option("--namespace", k8s_.name_space, "namespace (default: kubectl's)");
  k8s_cmd_->add_option("--out", k8s_.out, "manifest file (default: stdout)");
}

bool ClusterCli::dispatch(int& exit_code) const {
  if (*plan_cmd_)
    exit_code = plan_command(plan_);
  else if (*merge_cmd_)
    exit_code = merge_command(merge_);
  else if (*slurm_cmd_)
    exit_code = submit_slurm_command(slurm_);
  else if (*k8s_cmd_)
    exit_code = submit_k8s_command(k8s_);
  else
    return false;
  return true;
}

}  // namespace kreg
