#include "harness/matrix/matrix.hpp"

#include <algorithm>

#include "harness/store/result_store.hpp"

namespace kreg {

std::string job_id_for_mode(const std::string& job_id, const std::string& mode) {
  return mode.empty() ? job_id : job_id + "/" + mode;
}

namespace {

// File names cannot hold '/': one directory per kernel, '__' inside ids.
std::string safe_name(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '/' || c == ' ') ? std::string("__") : std::string(1, c);
  return out;
}

}  // namespace

std::vector<MatrixUnit> plan_matrix(const Suite& suite, const std::vector<std::string>& kernel_labels) {
  std::vector<MatrixUnit> units;
  for (const auto& base : suite.jobs) {
    std::vector<std::string> modes = {""};
    if (job_uses_cgroups(base))
      modes = base.contains("cgroup_modes") ? base["cgroup_modes"].get<std::vector<std::string>>() : suite.cgroup_modes;
    for (const auto& mode : modes) {
      for (int rep = 1; rep <= suite.repetitions; ++rep) {
        for (size_t k = 0; k < kernel_labels.size(); ++k) {
          MatrixUnit u;
          u.kernel_index = k;
          u.kernel_label = kernel_labels[k];
          u.cgroup_mode = mode;
          u.repetition = rep;
          u.job = base;
          u.job.erase("cgroup_modes");
          u.job["job_id"] = job_id_for_mode(base["job_id"], mode);
          // The hierarchy the guest mounts for the job (GeneratorContext::cgroup_mode);
          // jobs without cgroups carry the suite's first mode and mount nothing.
          u.job["cgroup_mode"] = mode.empty() ? suite.cgroup_modes.front() : mode;
          std::string rep_suffix = suite.repetitions > 1 ? "#r" + std::to_string(rep) : "";
          u.unit_id = u.kernel_label + "/" + u.job["job_id"].get<std::string>() + rep_suffix;
          std::string file = safe_name(u.job["job_id"]) + (rep_suffix.empty() ? "" : ".r" + std::to_string(rep));
          u.record_path = "jobs/" + safe_name(u.kernel_label) + "/" + file + ".json";
          u.vm_name = safe_name(u.kernel_label) + "/" + file;
          units.push_back(std::move(u));
        }
      }
    }
  }
  return units;
}

}  // namespace kreg
