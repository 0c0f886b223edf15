// `kreg submit k8s PLAN --volume-claim NAME --out FILE`: the plan as
// Kubernetes manifests, written without a cluster:
//  1. a ConfigMap holding the plan file;
//  2. an Indexed Job (batch/v1, completionMode Indexed, completions =
//     parallelism = shards) whose pod I runs `kreg run --plan ... --shard I`,
//     I from JOB_COMPLETION_INDEX; CPU and memory from the plan's VM sizes;
//     /dev/kvm (hostPath, privileged) only when the plan asks for KVM;
//     results on the PersistentVolumeClaim the user names;
//  3. the merge Job, created suspended: unsuspend it once the shards' Job is
//     complete (the file's header says how).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/matrix/plan_file.hpp"
#include "vm/common/build_info.hpp"

namespace kreg {

struct K8sOptions {
  std::string plan;
  std::string volume_claim;  // PVC for the results (ReadWriteMany when pods land on several nodes)
  // kreg:<version>-<commit>: the image image/build.sh makes of this build (kreg, QEMU, suites).
  std::string image = default_image();
  std::string kreg = "kreg";  // kreg in the image
  std::string name_space;     // "" = kubectl's current namespace
  std::string out;            // "" = stdout
};

// The manifests, in order: ConfigMap, the shards' Job, the merge Job.
std::vector<nlohmann::ordered_json> k8s_manifests(const Plan& plan, const K8sOptions& options);

// Kubernetes object name for a plan: lowercase DNS label, at most 52
// characters (room for "-merge" and the pods' index suffixes).
std::string k8s_name(const std::string& plan_id);

// All documents as one YAML stream with a header saying how to run them.
std::string k8s_yaml(const Plan& plan, const K8sOptions& options);

int submit_k8s_command(const K8sOptions& options);

}  // namespace kreg
