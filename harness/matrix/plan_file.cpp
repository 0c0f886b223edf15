#include "harness/matrix/plan_file.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/shard_plan.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

int planned_memory_mib(const nlohmann::json& job, const SuiteVm& vm) {
  // The executing host caps it at what it can give; the request follows the job.
  return vm.memory_mib > 0 ? vm.memory_mib : estimate_vm_memory_mib({{"jobs", {job}}}, INT_MAX);
}

// "debian:bookworm" planned as 6.1.0-50-cloud-amd64 -> "debian:bookworm:6.1.0-50":
// the same ABI even after the suite has moved on to a newer kernel.
std::string pinned_spec(const std::string& spec, const KernelImage& planned) {
  if (spec.rfind("debian:", 0) != 0 || planned.release.empty()) return spec;
  std::string rest = spec.substr(7);
  std::string suite = rest.substr(0, rest.find(':'));
  std::string abi = planned.release.substr(0, planned.release.find("-cloud-amd64"));
  return "debian:" + suite + ":" + abi;
}

}  // namespace

std::string json_sha256(const nlohmann::json& json) {
  std::string text = json.dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

std::vector<std::string> Plan::shard_units(int shard) const {
  return json.at("shards").at(static_cast<size_t>(shard)).at("units").get<std::vector<std::string>>();
}

nlohmann::json make_plan(const Suite& suite, const nlohmann::json& kernels, const std::string& plan_id,
                         const std::string& accel, int shards, int vms_per_shard) {
  if (shards < 1) throw KregError("--shards must be at least 1");
  if (vms_per_shard < 1) throw KregError("--vms-per-shard must be at least 1");
  std::vector<std::string> labels;
  for (const auto& k : kernels) labels.push_back(k.at("label"));
  std::vector<MatrixUnit> units = plan_matrix(suite, labels);
  if (static_cast<size_t>(shards) > units.size())
    throw KregError("--shards " + std::to_string(shards) + " but suite " + suite.name + " has only " +
                    std::to_string(units.size()) + " units on these kernels (each shard needs at least one)");
  std::vector<ShardCostUnit> costs;
  for (const auto& u : units) costs.push_back({u.unit_id, estimate_unit_cost_s(u.job)});
  auto parts = partition_units(costs, shards);

  nlohmann::json unit_list = nlohmann::json::array(), shard_list = nlohmann::json::array();
  std::vector<int> shard_of(units.size(), 0);
  for (size_t s = 0; s < parts.size(); ++s)
    for (size_t i : parts[s]) shard_of[i] = static_cast<int>(s);
  for (size_t i = 0; i < units.size(); ++i)
    unit_list.push_back({{"unit_id", units[i].unit_id},
                         {"kernel", units[i].kernel_label},
                         {"record", units[i].record_path},
                         {"cost_s", std::round(costs[i].cost_s * 10) / 10},
                         {"memory_mib", planned_memory_mib(units[i].job, suite.vm)},
                         {"shard", shard_of[i]}});
  for (size_t s = 0; s < parts.size(); ++s) {
    nlohmann::json ids = nlohmann::json::array();
    double cost = 0;
    int memory = 0;
    for (size_t i : parts[s]) {
      ids.push_back(units[i].unit_id);
      cost += costs[i].cost_s;
      memory = std::max(memory, unit_list[i]["memory_mib"].get<int>());
    }
    shard_list.push_back({{"index", s},
                          {"units", ids},
                          {"cost_s", std::round(cost * 10) / 10},
                          {"memory_mib", memory},
                          {"timeout_s", static_cast<double>(parts[s].size()) * (suite.vm.timeout_s + 60)}});
  }
  return {{"schema", "kreg.plan"},
          {"schema_version", 1},
          {"plan_id", plan_id},
          {"suite", suite.name},
          {"suite_effective", suite_to_json(suite)},
          {"suite_text", suite.text},
          {"kernels", kernels},
          {"accel", accel},
          {"vms_per_shard", vms_per_shard},
          {"units", unit_list},
          {"shards", shard_list}};
}

Plan plan_from_json(const nlohmann::json& j, const std::string& path) {
  auto bad = [&](const std::string& why) { return KregError("plan " + path + " " + why); };
  if (!j.is_object() || j.value("schema", "") != "kreg.plan")
    throw bad("is not a kreg plan (write one with kreg plan SUITE --shards N)");
  if (j.value("schema_version", 0) != 1)
    throw bad("has schema_version " + j.value("schema_version", nlohmann::json()).dump() + "; this kreg reads 1");
  for (const char* key : {"plan_id", "suite_effective", "kernels", "accel", "units", "shards"})
    if (!j.contains(key)) throw bad(std::string("lacks '") + key + "'");
  std::map<std::string, int> seen;
  for (const auto& u : j["units"]) seen[u.at("unit_id")] = 0;
  for (const auto& shard : j["shards"])
    for (const auto& id : shard.at("units")) {
      auto it = seen.find(id);
      if (it == seen.end()) throw bad("shard " + shard["index"].dump() + " lists unknown unit " + id.dump());
      if (++it->second > 1) throw bad("lists unit " + id.dump() + " in two shards");
    }
  for (const auto& [id, n] : seen)
    if (n == 0) throw bad("leaves unit " + id + " out of every shard");
  Plan plan;
  plan.json = j;
  plan.path = path.empty() ? "" : fs::absolute(path).lexically_normal().string();
  plan.sha256 = json_sha256(j);
  return plan;
}

Plan load_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw KregError("cannot read plan " + path + " (write one with kreg plan SUITE --shards N --out " + path + ")");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw KregError("plan " + path + " is not valid JSON");
  try {
    return plan_from_json(j, path);
  } catch (const nlohmann::json::exception& e) {
    throw KregError("plan " + path + " is malformed: " + e.what());
  }
}

std::vector<KernelImage> plan_kernels(const Plan& plan, const std::vector<bool>& needed, const std::string& cache_dir) {
  std::vector<KernelImage> out;
  const auto& kernels = plan.json.at("kernels");
  for (size_t i = 0; i < kernels.size(); ++i) {
    const auto& k = kernels[i];
    KernelImage planned = kernel_from_json(k.at("kernel"));
    if (i >= needed.size() || !needed[i]) {
      out.push_back(planned);
      continue;
    }
    const std::string spec = k.at("spec");
    KernelImage image = planned;
    if (!fs::exists(planned.vmlinuz) || sha256_file(planned.vmlinuz) != planned.image_sha256) {
      KernelSpec pinned = kernel_spec_from_json(k.value("kernel_spec", k.at("spec")));
      pinned.spec = pinned_spec(pinned.spec, planned);
      image = obtain_kernel(pinned, cache_dir);
      image.label = k.value("label", image.label);
      if (image.image_sha256 != planned.image_sha256)
        throw KregError("kernel " + spec + " (" + k.value("label", "") + ") now resolves to image " +
                        image.image_sha256.substr(0, 12) + ", not the planned " + planned.image_sha256.substr(0, 12) +
                        "; every shard must boot the same image (re-plan, or pass --cache with the planned kernel)");
    }
    out.push_back(image);
  }
  return out;
}

ShardResources shard_resources(const Plan& plan, int shard) {
  const auto& s = plan.json.at("shards").at(static_cast<size_t>(shard));
  const int k = std::max(1, plan.json.value("vms_per_shard", 1));
  const int vcpus = plan.json.at("suite_effective").at("vm").value("vcpus", 1);
  ShardResources r;
  r.cpus = vcpus * k;
  // QEMU's own memory (TCG's translation cache, device model) beside each guest, and kreg's.
  r.memory_mib = k * (s.value("memory_mib", 1024) + 384) + 256;
  r.time_minutes = static_cast<int>(std::ceil(s.value("timeout_s", 0.0) / k / 60.0)) + 10;
  return r;
}

ShardResources plan_resources(const Plan& plan) {
  ShardResources most;
  for (int i = 0; i < plan.shard_count(); ++i) {
    ShardResources r = shard_resources(plan, i);
    most.cpus = std::max(most.cpus, r.cpus);
    most.memory_mib = std::max(most.memory_mib, r.memory_mib);
    most.time_minutes = std::max(most.time_minutes, r.time_minutes);
  }
  return most;
}

}  // namespace kreg
