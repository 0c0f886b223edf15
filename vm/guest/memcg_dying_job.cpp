#include "vm/guest/memcg_dying_job.hpp"

#include <chrono>
#include <stdexcept>

#include "scenarios/kernel_files.hpp"
#include "scenarios/memcg_churn.hpp"
#include "scenarios/memcg_counts.hpp"
#include "vm/guest/guest_system.hpp"
#include "vm/guest/stat_bench_client.hpp"

namespace kreg::guest {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

nlohmann::json read_counters() {
  auto meminfo = parse_meminfo_kb(read_text_file("/proc/meminfo"));
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [key, name] : {std::pair{"Slab", "meminfo_slab_kb"},
                                  std::pair{"SUnreclaim", "meminfo_sunreclaim_kb"},
                                  std::pair{"Percpu", "meminfo_percpu_kb"},
                                  std::pair{"Shmem", "meminfo_shmem_kb"},
                                  std::pair{"MemFree", "meminfo_memfree_kb"}}) {
    if (auto it = meminfo.find(key); it != meminfo.end()) counters[name] = it->second;
  }
  return counters;
}

nlohmann::json measured_counts(const std::string& mount) {
  MemcgCounts c = count_memcgs(mount);
  return {{"memcg_num_cgroups", c.num_cgroups},
          {"memcg_visible", c.visible},
          {"memcg_dying", c.dying},
          {"memcg_dying_source", c.dying_source}};
}

std::vector<int64_t> checked_targets(const nlohmann::json& job) {
  auto targets = job.at("targets").get<std::vector<int64_t>>();
  int64_t previous = -1;
  for (int64_t t : targets) {
    if (t < 0 || t <= previous) throw std::invalid_argument("targets must be non-negative and increasing");
    previous = t;
  }
  return targets;
}

}  // namespace

nlohmann::json run_memcg_dying_job(const nlohmann::json& job, const ProgressFn& progress) {
  const auto start = Clock::now();
  const std::string job_id = job.at("job_id");
  const auto targets = checked_targets(job);
  StatReadRequest bench;
  bench.samples = job.value("samples", 200);
  bench.warmup = job.value("warmup", 10);

  std::string mount = mount_memcg_v1();
  MemcgChurnOptions options;
  options.page_cache_bytes = job.value("page_cache_bytes", size_t{4096});
  MemcgChurner churner(options);
  bench.files = {{"root_memory_numa_stat_read", mount + "/memory.numa_stat"},
                 {"root_memory_stat_read", mount + "/memory.stat"}};

  nlohmann::json record = {{"status", "ok"}, {"error", nullptr}, {"points", nlohmann::json::array()}};
  record["baseline"] = measured_counts(mount);
  try {
    for (size_t i = 0; i < targets.size(); ++i) {
      const auto churn_start = Clock::now();
      auto last_report = churn_start;
      while (static_cast<int64_t>(churner.churned()) < targets[i]) {
        churner.churn_one();
        reap_orphans();
        if (Clock::now() - last_report > std::chrono::seconds(5)) {
          last_report = Clock::now();
          progress({{"job_id", job_id}, {"point", i}, {"target", targets[i]}, {"churned", churner.churned()}});
        }
      }
      nlohmann::json point = {{"target", targets[i]},
                              {"churned", churner.churned()},
                              {"churn_s", seconds_since(churn_start)}};
      point["measured"] = measured_counts(mount);
      point["counters"] = read_counters();
      StatReadResult reads = run_stat_bench(bench);
      point["metrics"] = reads.metrics;
      if (!reads.skipped.empty()) point["skipped"] = reads.skipped;
      point["gbench"] = reads.gbench;
      record["points"].push_back(point);
      progress({{"job_id", job_id}, {"point", i}, {"points", targets.size()}, {"target", targets[i]},
                {"churned", churner.churned()}, {"dying", point["measured"]["memcg_dying"]}});
    }
  } catch (const std::exception& e) {
    // ENOSPC/ENOMEM from mkdir on old kernels lands here: a result, not a crash.
    record["status"] = "partial";
    record["error"] = e.what();
  }
  record["job_s"] = seconds_since(start);
  return record;
}

}  // namespace kreg::guest
