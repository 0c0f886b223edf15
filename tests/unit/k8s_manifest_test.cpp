// kreg submit k8s: the manifests are valid batch/v1 Jobs, checked against
// Kubernetes' published Job schema (tests/k8s/) and, read back with yaml-cpp,
// for what the API server's validation adds (restartPolicy a Job accepts,
// names that are DNS labels); the shards' Job is Indexed with one completion
// per shard and the index wired into --shard, /dev/kvm is requested exactly
// when the plan asks for KVM, and results go to the volume claim given.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <regex>

#include "harness/cluster/submit_k8s.hpp"
#include "harness/cluster/yaml_emit.hpp"
#include "harness/matrix/plan_file.hpp"
#include "harness/matrix/suite.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace kreg {
namespace {

Plan test_plan(const std::string& accel, int shards) {
  Suite suite = load_suite("default");
  nlohmann::json kernels = nlohmann::json::array();
  for (size_t i = 0; i < suite.kernels.size(); ++i)
    kernels.push_back({{"spec", suite.kernels[i].spec},
                       {"label", "k" + std::to_string(i)},
                       {"kernel", {{"image_sha256", std::string(64, static_cast<char>('a' + i))}}}});
  return plan_from_json(make_plan(suite, kernels, "20261124-190000-default", accel, shards, 1), "/plans/p.json");
}

std::vector<YAML::Node> documents(const Plan& plan, const std::string& claim = "kreg-results") {
  K8sOptions o;
  o.volume_claim = claim;
  o.image = "kreg-test:1";
  return YAML::LoadAll(k8s_yaml(plan, o));
}

bool dns_label(const std::string& s) { return std::regex_match(s, std::regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")); }

// What the batch/v1 Job schema (and the API server's validation) requires of us.
void expect_valid_job(const YAML::Node& job) {
  ASSERT_TRUE(job.IsMap());
  EXPECT_EQ(job["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  ASSERT_TRUE(job["metadata"]["name"]);
  EXPECT_TRUE(dns_label(job["metadata"]["name"].as<std::string>())) << job["metadata"]["name"].as<std::string>();
  for (const auto& l : job["metadata"]["labels"]) EXPECT_LE(l.second.as<std::string>().size(), 63u);
  const YAML::Node spec = job["spec"];
  ASSERT_TRUE(spec.IsMap());
  ASSERT_TRUE(spec["template"]["spec"]["containers"].IsSequence());
  ASSERT_GE(spec["template"]["spec"]["containers"].size(), 1u);
  const std::string restart = spec["template"]["spec"]["restartPolicy"].as<std::string>();
  EXPECT_TRUE(restart == "Never" || restart == "OnFailure") << "a Job's pods may not restart Always";
  EXPECT_GE(spec["completions"].as<int>(), 1);
  EXPECT_LE(spec["parallelism"].as<int>(), spec["completions"].as<int>());
  std::set<std::string> volumes;
  for (const auto& v : spec["template"]["spec"]["volumes"]) {
    ASSERT_TRUE(v["name"]);
    EXPECT_TRUE(volumes.insert(v["name"].as<std::string>()).second) << "volume names are unique";
  }
  for (const auto& c : spec["template"]["spec"]["containers"]) {
    EXPECT_TRUE(dns_label(c["name"].as<std::string>()));
    EXPECT_FALSE(c["image"].as<std::string>().empty());
    ASSERT_TRUE(c["command"].IsSequence());
    for (const auto& m : c["volumeMounts"])
      EXPECT_TRUE(volumes.contains(m["name"].as<std::string>())) << "mount of an undeclared volume " << m["name"];
    for (const char* kind : {"requests", "limits"}) {
      EXPECT_TRUE(std::regex_match(c["resources"][kind]["cpu"].as<std::string>(), std::regex("^[0-9]+$")));
      EXPECT_TRUE(std::regex_match(c["resources"][kind]["memory"].as<std::string>(), std::regex("^[0-9]+Mi$")));
    }
  }
}

TEST(K8sManifest, IndexedJobRunsOneShardPerCompletionIndex) {
  Plan plan = test_plan("tcg", 6);
  auto docs = documents(plan);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(docs[0]["kind"].as<std::string>(), "ConfigMap");
  // The plan travels in the ConfigMap, byte for byte what kreg run --plan reads.
  nlohmann::json carried = nlohmann::json::parse(docs[0]["data"]["plan.json"].as<std::string>());
  EXPECT_EQ(plan_from_json(carried, "").sha256, plan.sha256);

  const YAML::Node job = docs[1];
  expect_valid_job(job);
  EXPECT_EQ(job["spec"]["completionMode"].as<std::string>(), "Indexed");
  EXPECT_EQ(job["spec"]["completions"].as<int>(), 6);
  EXPECT_EQ(job["spec"]["parallelism"].as<int>(), 6);
  const YAML::Node c = job["spec"]["template"]["spec"]["containers"][0];
  std::vector<std::string> cmd = c["command"].as<std::vector<std::string>>();
  auto shard = std::find(cmd.begin(), cmd.end(), "--shard");
  ASSERT_NE(shard, cmd.end());
  ASSERT_NE(shard + 1, cmd.end());
  EXPECT_EQ(*(shard + 1), "$(JOB_COMPLETION_INDEX)");
  EXPECT_EQ(cmd[1], "run");
  auto plan_arg = std::find(cmd.begin(), cmd.end(), "--plan");
  ASSERT_NE(plan_arg, cmd.end());
  // $(VAR) in a command expands only from the container's env: it is declared,
  // from the completion-index annotation the Job controller sets.
  bool wired = false;
  for (const auto& e : c["env"])
    wired |= e["name"].as<std::string>() == "JOB_COMPLETION_INDEX" &&
             e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>() ==
                 "metadata.annotations['batch.kubernetes.io/job-completion-index']";
  EXPECT_TRUE(wired);
  // The plan file is where the ConfigMap is mounted.
  std::string plan_path = *(plan_arg + 1), mount;
  for (const auto& m : c["volumeMounts"])
    if (m["name"].as<std::string>() == "plan") mount = m["mountPath"].as<std::string>();
  EXPECT_EQ(plan_path, mount + "/plan.json");
  bool config_volume = false;
  for (const auto& v : job["spec"]["template"]["spec"]["volumes"])
    config_volume |=
        v["configMap"] && v["configMap"]["name"].as<std::string>() == docs[0]["metadata"]["name"].as<std::string>();
  EXPECT_TRUE(config_volume);
  // Resources follow the VM size.
  ShardResources r = plan_resources(plan);
  EXPECT_EQ(c["resources"]["requests"]["memory"].as<std::string>(), std::to_string(r.memory_mib) + "Mi");
  EXPECT_EQ(c["resources"]["requests"]["cpu"].as<std::string>(), std::to_string(r.cpus));
}

TEST(K8sManifest, ResultsGoToTheNamedVolumeClaimAndTheMergeJobReadsThem) {
  Plan plan = test_plan("tcg", 3);
  auto docs = documents(plan, "my-results");
  for (int d : {1, 2}) {
    std::string results_mount;
    for (const auto& m : docs[d]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"])
      if (m["name"].as<std::string>() == "results") results_mount = m["mountPath"].as<std::string>();
    ASSERT_FALSE(results_mount.empty());
    bool claim = false;
    for (const auto& v : docs[d]["spec"]["template"]["spec"]["volumes"])
      claim |= v["name"].as<std::string>() == "results" &&
               v["persistentVolumeClaim"]["claimName"].as<std::string>() == "my-results";
    EXPECT_TRUE(claim);
    auto cmd = docs[d]["spec"]["template"]["spec"]["containers"][0]["command"].as<std::vector<std::string>>();
    if (d == 1)
      EXPECT_EQ(*(std::find(cmd.begin(), cmd.end(), "--results") + 1), results_mount);
    else
      EXPECT_EQ(cmd[2], results_mount + "/" + plan.id());
  }
  const YAML::Node merge = docs[2];
  expect_valid_job(merge);
  EXPECT_EQ(merge["spec"]["completions"].as<int>(), 1);
  EXPECT_TRUE(merge["spec"]["suspend"].as<bool>()) << "the merge waits to be started after the shards";
  EXPECT_FALSE(merge["spec"]["completionMode"]);
  EXPECT_EQ(merge["spec"]["template"]["spec"]["containers"][0]["command"][1].as<std::string>(), "merge");
  EXPECT_THROW(documents(plan, ""), KregError);
}

TEST(K8sManifest, KvmDeviceOnlyWhenThePlanAsksForKvm) {
  auto has_kvm = [](const YAML::Node& job) {
    bool volume = false, mount = false;
    for (const auto& v : job["spec"]["template"]["spec"]["volumes"])
      volume |= v["hostPath"] && v["hostPath"]["path"].as<std::string>() == "/dev/kvm" &&
                v["hostPath"]["type"].as<std::string>() == "CharDevice";
    const YAML::Node c = job["spec"]["template"]["spec"]["containers"][0];
    for (const auto& m : c["volumeMounts"]) mount |= m["mountPath"].as<std::string>() == "/dev/kvm";
    bool privileged = c["securityContext"] && c["securityContext"]["privileged"].as<bool>();
    EXPECT_EQ(volume, mount);
    EXPECT_EQ(volume, privileged);
    return volume;
  };
  EXPECT_TRUE(has_kvm(documents(test_plan("kvm", 2))[1]));
  EXPECT_FALSE(has_kvm(documents(test_plan("tcg", 2))[1]));
  EXPECT_FALSE(has_kvm(documents(test_plan("auto", 2))[1]));
}

// Runs tests/k8s/validate_manifests.py: every Job of the YAML against
// Kubernetes' published batch/v1 Job schema (tests/k8s/batch-v1-job.openapi.json).
CapturedRun validate_against_published_schema(const std::string& yaml) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("kreg-k8s-" + std::to_string(getpid()) + ".yaml")).string();
  std::ofstream(path) << yaml;
  CapturedRun r = run_captured({"python3", KREG_SOURCE_DIR "/tests/k8s/validate_manifests.py", path});
  std::filesystem::remove(path);
  return r;
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(K8sManifest, JobsAreValidAgainstThePublishedBatchV1Schema) {
  K8sOptions o;
  o.volume_claim = "kreg-results";
  for (const char* accel : {"kvm", "tcg"}) {
    CapturedRun r = validate_against_published_schema(k8s_yaml(test_plan(accel, 4), o));
    EXPECT_EQ(r.exit_code, 0) << accel << ":\n" << r.out << r.err;
    EXPECT_EQ(occurrences(r.out, "valid batch/v1 Job"), 2u) << "the shards' Job and the merge Job: " << r.out;
  }
  // What the API server would refuse or silently drop, the check refuses:
  // a misspelt field, a wrong type, a missing required field.
  const std::string yaml = k8s_yaml(test_plan("tcg", 4), o);
  const std::vector<std::array<std::string, 3>> breaks = {
      {"restartPolicy: Never", "restartPolicyy: Never", "'restartPolicyy' was unexpected"},
      {"completions: 4", "completions: four", "'four' is not of type 'integer'"},
      {"claimName: kreg-results", "claim: kreg-results", "'claimName' is a required property"}};
  for (const auto& [from, to, complaint] : breaks) {
    std::string broken = yaml;
    const size_t at = broken.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in the manifest";
    broken.replace(at, from.size(), to);
    CapturedRun r = validate_against_published_schema(broken);
    EXPECT_EQ(r.exit_code, 1) << to << ": " << r.out << r.err;
    EXPECT_NE(r.out.find(complaint), std::string::npos) << to << ": " << r.out;
  }
}

TEST(K8sManifest, NamesAreDnsLabelsForAnyPlanId) {
  EXPECT_EQ(k8s_name("20261124-190000-default"), "kreg-20261124-190000-default");
  EXPECT_TRUE(dns_label(k8s_name("My_Plan.With Spaces")));
  std::string longest = k8s_name(std::string(200, 'x') + "--");
  EXPECT_TRUE(dns_label(longest + "-merge"));
  EXPECT_LE((longest + "-merge").size(), 63u);
}

TEST(YamlEmit, RoundTripsStringsThatLookLikeOtherThings) {
  nlohmann::ordered_json doc = {{"a", "true"},
                                {"b", "123"},
                                {"c", "x: y # z"},
                                {"d", "line1\nline2\n"},
                                {"e", nlohmann::ordered_json::array({"- item", "", "null"})},
                                {"f", nlohmann::ordered_json::object()},
                                {"g", 5},
                                {"h", false},
                                {"key with space", "$(VAR)"},
                                {"i", "  leading\nspace"},
                                {"j", "yes"},
                                {"k", "Off"},
                                {"l", "/dev/kvm"},
                                {"m", "--shard"},
                                {"hex", "0x1f"},
                                {"o", "batch/v1"}};
  YAML::Node n = YAML::Load(to_yaml(doc));
  EXPECT_EQ(n["a"].as<std::string>(), "true");
  EXPECT_EQ(n["a"].Tag(), "!") << "quoted: a string, not a bool";
  EXPECT_EQ(n["b"].as<std::string>(), "123");
  EXPECT_EQ(n["c"].as<std::string>(), "x: y # z");
  EXPECT_EQ(n["d"].as<std::string>(), "line1\nline2\n");
  EXPECT_EQ(n["e"][0].as<std::string>(), "- item");
  EXPECT_EQ(n["e"][1].as<std::string>(), "");
  EXPECT_EQ(n["e"][2].as<std::string>(), "null");
  EXPECT_TRUE(n["f"].IsMap());
  EXPECT_EQ(n["g"].as<int>(), 5);
  EXPECT_FALSE(n["h"].as<bool>());
  EXPECT_EQ(n["key with space"].as<std::string>(), "$(VAR)");
  EXPECT_EQ(n["i"].as<std::string>(), "  leading\nspace");
  // YAML 1.1 readers take bare yes/off as booleans and 0x1f as a number: those stay quoted.
  const std::string yaml = to_yaml(doc);
  EXPECT_NE(yaml.find("j: \"yes\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("k: \"Off\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("hex: \"0x1f\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("o: batch/v1\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("l: /dev/kvm\n"), std::string::npos) << yaml;
  for (const char* key : {"j", "k", "l", "m", "hex", "o"})
    EXPECT_EQ(n[key].as<std::string>(), doc[key].get<std::string>());
}

}  // namespace
}  // namespace kreg
