#include "harness/matrix/vm_sizing.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace kreg {

namespace {

// Kernel bytes per object, rounded up from kreg's own measurements on 6.1
// under TCG with 2 vCPUs (per_object in the records): a dying memcg ~20 KiB
// of slab+percpu (percpu grows with vCPUs), a live netns ~220 KiB of slab
// plus its holder process, a pod that much again plus its cgroups, a
// negative dentry ~200 B. Doubled for headroom.
int64_t bytes_per_object(const nlohmann::json& job) {
  const std::string scenario = job.value("scenario", "");
  const auto params = job.value("params", nlohmann::json::object());
  if (scenario == "memcg-churn")
    return 2 * (64 * 1024 + params.value("page_cache_bytes", int64_t{4096}) + 1024 * params.value("kobjects", 0));
  if (scenario == "netns") return params.value("mode", "dead") == "live" ? 2 * 400 * 1024 : 2 * 16 * 1024;
  if (scenario == "pause-loop") return params.value("keep", 0) > 0 ? 2 * 600 * 1024 : 2 * 32 * 1024;
  if (scenario == "dentry-negative") return 2 * 256;
  return 0;
}

}  // namespace

int host_memory_limit_mib() {
  int64_t total = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE) >> 20;
  return static_cast<int>(std::max<int64_t>(1024, total - 2048));
}

int estimate_vm_memory_mib(const nlohmann::json& jobs, int host_limit_mib) {
  int64_t need = 0;
  for (const auto& job : jobs.value("jobs", nlohmann::json::array())) {
    int64_t largest = 0;
    for (const auto& t : job.value("targets", nlohmann::json::array())) largest = std::max(largest, t.get<int64_t>());
    if (job.value("kind", "sweep") == "speed") largest = 1000;  // speed jobs make small counts
    need = std::max(need, largest * bytes_per_object(job) >> 20);
  }
  return static_cast<int>(std::clamp<int64_t>(512 + need, 1024, host_limit_mib));
}

}  // namespace kreg
