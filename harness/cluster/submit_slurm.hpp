// `kreg submit slurm PLAN`: one Slurm job array, task I running
// `kreg run --plan PLAN --shard I` (I = $SLURM_ARRAY_TASK_ID), and a merge job
// that waits for the whole array (--dependency=afterany) and runs `kreg merge`.
// Everything lands under <results>/<plan_id>/: plan.json (a copy of the plan),
// slurm/shards.sbatch, slurm/merge.sbatch, slurm/shard-<I>.out, slurm/merge.out,
// slurm/submitted.json, the shards in shards/<I>/ and the merged run itself.
// Each task asks for the plan's vCPUs per VM x VMs per shard, the largest VM
// of any shard plus QEMU's overhead, and its VMs' summed timeouts. Paths must
// be shared by the submitting host and the nodes.
#pragma once

#include <string>
#include <vector>

#include "harness/matrix/plan_file.hpp"

namespace kreg {

struct SlurmOptions {
  std::string plan;
  std::string results_root = "results";
  std::string partition;
  std::string cache_dir;  // passed to the shards (default: theirs)
  std::string kreg;       // "" = this kreg binary
  std::string sbatch = "sbatch";
  bool dry_run = false;  // write the scripts, print the commands, submit nothing
};

struct SlurmScripts {
  std::string shards, merge;  // script texts
};

// The two batch scripts for `plan`, whose copy lies at `plan_file`, with
// results under `results_root` (absolute paths).
SlurmScripts slurm_scripts(const Plan& plan, const std::string& plan_file, const std::string& results_root,
                           const std::string& kreg, const SlurmOptions& options);

// "12345" or "12345;cluster" (sbatch --parsable) -> "12345".
std::string parse_sbatch_job_id(const std::string& out);

int submit_slurm_command(const SlurmOptions& options);

}  // namespace kreg
