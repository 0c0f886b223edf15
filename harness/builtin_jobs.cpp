#include "harness/builtin_jobs.hpp"

#include "harness/error.hpp"

namespace kreg {

namespace {

struct SweepDefaults {
  std::vector<int64_t> targets;
  int64_t page_cache_bytes;
  int samples;
  int warmup;
};

SweepDefaults defaults_for(const std::string& suite) {
  // Default: the sweep, enough for a clear 6.1 picture in minutes
  // under TCG. Smoke: the smallest sweep that still shows accumulation.
  if (suite == "default") return {{0, 500, 1000, 2000}, 4096, 200, 10};
  if (suite == "smoke") return {{0, 50, 100}, 4096, 30, 3};
  throw KregError("unknown suite '" + suite + "' (known: default, smoke, bench, speed)");
}

}  // namespace

nlohmann::json builtin_jobs(const RunOptions& options) {
  if (!options.jobs.is_null()) return options.jobs;
  if (options.suite == "bench") {
    // Latency against object counts for every pathology, with the default
    // sweeps of issue 4: dying memcgs, live and dead netns, negative dentries.
    auto sweep = [](const std::string& id, const std::string& scenario, nlohmann::json params, nlohmann::json targets) {
      return nlohmann::json{{"job_id", id}, {"scenario", scenario}, {"cgroup_mode", "v1"}, {"params", params},
                            {"targets", targets}, {"latency", true}, {"samples", 200}, {"warmup", 10}};
    };
    nlohmann::json jobs = nlohmann::json::array(
        {sweep("memcg-churn/v1/tmpfs-4096", "memcg-churn", {{"page_cache_bytes", 4096}}, {0, 1000, 2000, 4000, 8000, 16000}),
         sweep("netns/live", "netns", {{"mode", "live"}}, {0, 250, 500, 1000, 2000}),
         // Reclaim needs reclaimable page cache: ext4, not tmpfs (no swap).
         sweep("memcg-churn/v1/ext4-reclaim", "memcg-churn", {{"page_cache", "ext4"}, {"page_cache_bytes", 4096}},
               {0, 2000, 4000}),
         sweep("netns/dead", "netns", {{"mode", "dead"}}, {0, 1000, 2000, 4000}),
         sweep("dentry-negative/lookup", "dentry-negative", {{"mode", "lookup"}}, {0, 1000, 10000, 100000, 1000000})});
    jobs[2]["reclaim"] = true;
    jobs[0]["kernel_trace"] = jobs[1]["kernel_trace"] = true;  // a second, traced pass per point
    return {{"suite", "bench"}, {"jobs", jobs}, {"scratch_disk", true}};
  }
  if (options.suite == "speed") {
    // Every generator against its raw floor (and memcgs against the shell
    // proof of concept), interleaved in one VM.
    nlohmann::json job = {{"job_id", "speed/all"}, {"kind", "speed"}, {"cgroup_mode", "v1"}, {"rounds", 5},
                          {"ops", {{"memcg", 1000}, {"netns", 250}, {"dentry", 200000}, {"pause", 100}}}};
    return {{"suite", "speed"}, {"jobs", {job}}, {"scratch_disk", true}};
  }
  SweepDefaults d = defaults_for(options.suite);
  if (!options.targets.empty()) d.targets = options.targets;
  if (options.page_cache_bytes >= 0) d.page_cache_bytes = options.page_cache_bytes;
  if (options.samples > 0) d.samples = options.samples;
  int64_t previous = -1;
  for (int64_t t : d.targets) {
    if (t <= previous)
      throw KregError("--targets must be non-negative and strictly increasing (got " + std::to_string(t) +
                      " after " + std::to_string(previous) + ")");
    previous = t;
  }
  std::string job_id = "memcg-churn/v1/tmpfs-" + std::to_string(d.page_cache_bytes);
  nlohmann::json job = {{"job_id", job_id},
                        {"scenario", "memcg-churn"},
                        {"cgroup_mode", "v1"},
                        {"params", {{"cgroup_mode", "v1"}, {"page_cache", "tmpfs"}, {"page_cache_bytes", d.page_cache_bytes}}},
                        {"targets", d.targets},
                        {"samples", d.samples},
                        {"warmup", d.warmup}};
  return {{"suite", options.suite}, {"jobs", nlohmann::json::array({job})}};
}

}  // namespace kreg
