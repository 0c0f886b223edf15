#include "harness/cluster/submit_k8s.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "harness/cluster/yaml_emit.hpp"
#include "harness/store/result_store.hpp"
#include "vm/common/error.hpp"

namespace kreg {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kResults = "/results";
constexpr const char* kPlanDir = "/etc/kreg";
constexpr const char* kCache = "/var/cache/kreg";
constexpr const char* kIndexAnnotation = "batch.kubernetes.io/job-completion-index";

Json labels(const Plan& plan, const std::string& component) {
  return {{"app", "kreg"}, {"kreg/component", component}, {"kreg/plan", k8s_name(plan.id())}};
}

Json metadata(const std::string& name, const Plan& plan, const std::string& component, const K8sOptions& o) {
  Json m = {{"name", name}};
  if (!o.name_space.empty()) m["namespace"] = o.name_space;
  m["labels"] = labels(plan, component);
  return m;
}

Json common_volumes(const std::string& config_map, const K8sOptions& o) {
  return Json::array({Json{{"name", "results"}, {"persistentVolumeClaim", {{"claimName", o.volume_claim}}}},
                      Json{{"name", "plan"}, {"configMap", {{"name", config_map}}}}});
}

Json common_mounts() {
  return Json::array({Json{{"name", "results"}, {"mountPath", kResults}},
                      Json{{"name", "plan"}, {"mountPath", kPlanDir}, {"readOnly", true}}});
}

}  // namespace

std::string k8s_name(const std::string& plan_id) {
  std::string name = "kreg-";
  for (char c : plan_id) name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  if (name.size() > 52) name.resize(52);
  while (name.back() == '-') name.pop_back();
  return name;
}

std::vector<Json> k8s_manifests(const Plan& plan, const K8sOptions& o) {
  if (o.volume_claim.empty())
    throw KregError("--volume-claim NAME is required: the results volume every shard writes to");
  const std::string name = k8s_name(plan.id()), config_map = name + "-plan";
  const std::string plan_text = plan.json.dump(2) + "\n";
  if (plan_text.size() > 900 * 1024)
    throw KregError(
        fmt::format("plan {} is {} KiB, more than a ConfigMap holds (1 MiB)", plan.path, plan_text.size() / 1024));
  const ShardResources r = plan_resources(plan);
  const bool kvm = plan.json.value("accel", "auto") == "kvm";
  const std::string plan_file = std::string(kPlanDir) + "/plan.json";

  Json config = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", metadata(config_map, plan, "plan", o)},
                 {"data", {{"plan.json", plan_text}}}};

  Json resources = {{"cpu", std::to_string(r.cpus)}, {"memory", std::to_string(r.memory_mib) + "Mi"}};
  Json container = {
      {"name", "shard"},
      {"image", o.image},
      {"command",
       {o.kreg, "run", "--plan", plan_file, "--shard", "$(JOB_COMPLETION_INDEX)", "--results", kResults, "--cache",
        kCache}},
      // The Job controller sets this too; declared here so $(JOB_COMPLETION_INDEX) in the command is defined.
      {"env", Json::array({Json{
                  {"name", "JOB_COMPLETION_INDEX"},
                  {"valueFrom",
                   {{"fieldRef", {{"fieldPath", fmt::format("metadata.annotations['{}']", kIndexAnnotation)}}}}}}})},
      {"resources", {{"requests", resources}, {"limits", resources}}},
      {"volumeMounts", common_mounts()}};
  container["volumeMounts"].push_back({{"name", "kernel-cache"}, {"mountPath", kCache}});
  Json volumes = common_volumes(config_map, o);
  volumes.push_back({{"name", "kernel-cache"}, {"emptyDir", Json::object()}});
  if (kvm) {
    container["volumeMounts"].push_back({{"name", "kvm"}, {"mountPath", "/dev/kvm"}});
    container["securityContext"] = {{"privileged", true}};  // opening a host device node
    volumes.push_back({{"name", "kvm"}, {"hostPath", {{"path", "/dev/kvm"}, {"type", "CharDevice"}}}});
  }
  const int shards = plan.shard_count();
  Json shard_job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", metadata(name, plan, "shards", o)},
      {"spec",
       {{"completionMode", "Indexed"},
        {"completions", shards},
        {"parallelism", shards},
        {"backoffLimit", shards},  // a pod that dies is retried; a retried shard keeps its finished records
        {"template",
         {{"metadata", {{"labels", labels(plan, "shards")}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"activeDeadlineSeconds", r.time_minutes * 60},
            {"containers", Json::array({container})},
            {"volumes", volumes}}}}}}}};

  Json merge_container = {
      {"name", "merge"},
      {"image", o.image},
      {"command", {o.kreg, "merge", std::string(kResults) + "/" + plan.id(), "--plan", plan_file}},
      {"resources",
       {{"requests", {{"cpu", "1"}, {"memory", "512Mi"}}}, {"limits", {{"cpu", "1"}, {"memory", "512Mi"}}}}},
      {"volumeMounts", common_mounts()}};
  Json merge_job = {{"apiVersion", "batch/v1"},
                    {"kind", "Job"},
                    {"metadata", metadata(name + "-merge", plan, "merge", o)},
                    {"spec",
                     {{"suspend", true},  // started by hand once the shards' Job is complete
                      {"completions", 1},
                      {"parallelism", 1},
                      {"backoffLimit", 0},
                      {"template",
                       {{"metadata", {{"labels", labels(plan, "merge")}}},
                        {"spec",
                         {{"restartPolicy", "Never"},
                          {"containers", Json::array({merge_container})},
                          {"volumes", common_volumes(config_map, o)}}}}}}}};
  return {config, shard_job, merge_job};
}

std::string k8s_yaml(const Plan& plan, const K8sOptions& o) {
  auto docs = k8s_manifests(plan, o);
  const std::string name = k8s_name(plan.id());
  const std::string ns = o.name_space.empty() ? "" : " -n " + o.name_space;
  std::string out = fmt::format(
      "# kreg plan {}: suite {}, {} units in {} shards, accelerator {} (kreg submit k8s)\n"
      "#   kubectl{} apply -f FILE\n"
      "#   kubectl{} wait --for=condition=complete --timeout=-1s job/{}\n"
      "#   kubectl{} patch job {}-merge --type=merge -p '{{\"spec\":{{\"suspend\":false}}}}'\n"
      "# Shard I writes {}/{}/shards/I/ on volume claim {}; the merge makes {}/{}/ one run\n"
      "# (kreg report / kreg compare). If a shard fails, unsuspend the merge all the same: it lists what is missing.\n",
      plan.id(), plan.json.value("suite", ""), plan.json["units"].size(), plan.shard_count(),
      plan.json.value("accel", "auto"), ns, ns, name, ns, name, kResults, plan.id(), o.volume_claim, kResults,
      plan.id());
  for (const auto& d : docs) out += "---\n" + to_yaml(d);
  return out;
}

int submit_k8s_command(const K8sOptions& options) {
  Plan plan = load_plan(options.plan);
  std::string yaml = k8s_yaml(plan, options);
  if (options.out.empty() || options.out == "-") {
    std::fputs(yaml.c_str(), stdout);
    return 0;
  }
  write_file_atomically(options.out, yaml);
  std::fprintf(stderr, "kreg: wrote %s: ConfigMap, Indexed Job %s (%d shards) and suspended merge Job %s-merge\n",
               options.out.c_str(), k8s_name(plan.id()).c_str(), plan.shard_count(), k8s_name(plan.id()).c_str());
  std::printf("%s\n", options.out.c_str());
  return 0;
}

}  // namespace kreg
