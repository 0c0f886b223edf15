#include "harness/matrix/vm_sizing.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "scenarios/generator_table.hpp"

namespace kreg {

namespace {

// Guest bytes per object, from the generator table.
int64_t bytes_per_object(const nlohmann::json& job) {
  if (job.value("kind", "sweep") != "sweep") return 0;
  return generator_info(job.value("scenario", "")).bytes_per_object(job.value("params", nlohmann::json::object()));
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
