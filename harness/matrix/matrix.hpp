// The matrix: a suite's jobs crossed with its kernels, cgroup modes and
// repetitions, one unit per VM. One VM per job keeps every measurement on
// a fresh kernel (no dying memcgs left by an earlier job), makes a unit the
// grain of --resume, and lets units of different kernels run side by side.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/matrix/suite.hpp"

namespace kreg {

struct MatrixUnit {
  std::string unit_id;       // "<kernel>/<job_id>[#r<n>]", unique in the run
  size_t kernel_index = 0;   // into the suite's kernels
  std::string kernel_label;  // release, e.g. 6.1.0-56-cloud-amd64
  std::string cgroup_mode;   // v1/v2 for cgroup jobs, "" otherwise
  int repetition = 1;
  nlohmann::json job;       // as the guest reads it; job_id carries the mode
  std::string record_path;  // relative to the run dir: jobs/<kernel>/<file>.json
  std::string vm_name;      // relative to the run dir's vm/: console, serial logs
};

// Units ordered job-major, kernel-minor: the order of run.json and plans.
// The executor starts them longest first (unit_times.hpp); the longest are
// one job's units on every kernel, so a run stopped half-way still has
// every kernel measured on the same jobs, which is what a comparison needs.
// `kernel_labels` has one entry per suite kernel.
std::vector<MatrixUnit> plan_matrix(const Suite& suite, const std::vector<std::string>& kernel_labels);

// The guest's job id for one mode: "memcg-churn/tmpfs-4096" -> "memcg-churn/tmpfs-4096/v2".
std::string job_id_for_mode(const std::string& job_id, const std::string& mode);

}  // namespace kreg
