#include "bench/sweep_runner.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "bench/kernel_trace.hpp"
#include "bench/metric_catalog.hpp"
#include "bench/stat_bench_client.hpp"
#include "scenarios/generator_table.hpp"
#include "scenarios/kernel_counters.hpp"

namespace kreg {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Kernel memory per object between two counter snapshots: what capacity
// planning asks ("how much does a dying memcg cost on this kernel").
nlohmann::json per_object(const nlohmann::json& before, const nlohmann::json& after, int64_t objects) {
  nlohmann::json out = nlohmann::json::object();
  if (objects <= 0) return out;
  for (const char* key : {"meminfo_slab_kb", "meminfo_sunreclaim_kb", "meminfo_percpu_kb", "meminfo_shmem_kb"}) {
    if (before.contains(key) && after.contains(key))
      out[std::string(key).replace(std::string(key).rfind("_kb"), 3, "_bytes")] =
          (after[key].get<double>() - before[key].get<double>()) * 1024.0 / static_cast<double>(objects);
  }
  return out;
}

nlohmann::json generator_error_json(const GeneratorError& e) {
  return {{"operation", e.operation()},
          {"errno", e.error_number()},
          {"errno_name", errno_name(e.error_number())},
          {"message", e.what()}};
}

// A second benchmark pass under function_graph: kernel time per call of the
// generator's functions, and the tracer's overhead on the user-side figures.
nlohmann::json traced_pass(const std::vector<std::string>& functions, const StatReadRequest& bench,
                           const nlohmann::json& untraced) {
  StatReadResult traced_reads;
  nlohmann::json trace = trace_kernel_functions(functions, [&] { traced_reads = run_stat_bench(bench); });
  nlohmann::json overhead = nlohmann::json::object();
  for (const auto& [metric, m] : traced_reads.metrics.items())
    if (untraced.contains(metric) && untraced[metric].value("median_ns", 0.0) > 0)
      overhead[metric] = m.value("median_ns", 0.0) / untraced[metric]["median_ns"].get<double>();
  trace["tracer_overhead_median_ratio"] = overhead;  // traced median / untraced median, per metric
  return trace;
}

}  // namespace

std::string errno_name(int err) {
  switch (err) {
    case ENOSPC:
      return "ENOSPC";
    case ENOMEM:
      return "ENOMEM";
    case EBUSY:
      return "EBUSY";
    case EAGAIN:
      return "EAGAIN";
    case EPERM:
      return "EPERM";
    case EUSERS:
      return "EUSERS";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ENOENT:
      return "ENOENT";
    case EINVAL:
      return "EINVAL";
    default:
      return "";
  }
}

nlohmann::json run_sweep(const nlohmann::json& job, const SweepEnvironment& env, const ProgressFn& progress) {
  const auto start = Clock::now();
  const std::string job_id = job.value("job_id", "?");
  check_sweep_job(job);
  const auto targets = job["targets"].get<std::vector<int64_t>>();
  const bool latency = job.value("latency", true);
  StatReadRequest bench;
  bench.binary = env.statbench;
  bench.samples = job.value("samples", 200);
  bench.warmup = job.value("warmup", 10);

  nlohmann::json record = {
      {"status", "ok"}, {"error", nullptr}, {"points", nlohmann::json::array()}, {"warnings", nlohmann::json::array()}};
  record["counters_before"] = read_kernel_counters();
  std::unique_ptr<Generator> generator;
  try {
    GeneratorContext context = env.context;
    context.cgroup_mode = job.value("cgroup_mode", context.cgroup_mode);
    generator = make_generator(job.at("scenario"), job.value("params", nlohmann::json::object()), context);
  } catch (const GeneratorUnavailable& e) {
    record["status"] = "skipped";
    record["skip_reason"] = e.what();
    return record;
  }
  record["object"] = generator->object_name();
  record["baseline"] = generator->measure();
  try {
    for (size_t i = 0; i < targets.size(); ++i) {
      const auto step_start = Clock::now();
      const nlohmann::json counters_at_start = read_kernel_counters();
      const int64_t created_at_start = generator->created();
      generator->advance_to(targets[i], [&](int64_t created) {
        progress({{"job_id", job_id},
                  {"point", i},
                  {"points", targets.size()},
                  {"target", targets[i]},
                  {"created", created}});
      });
      nlohmann::json point = {
          {"target", targets[i]}, {"created", generator->created()}, {"step_s", seconds_since(step_start)}};
      int64_t made = generator->created() - created_at_start;
      if (made > 0) point["ops_per_s"] = static_cast<double>(made) / point["step_s"].get<double>();
      point["measured"] = generator->measure();
      point["counters"] = read_kernel_counters();
      point["per_object_step"] = per_object(counters_at_start, point["counters"], made);
      if (latency) {
        // The point's measured object counts travel in Google Benchmark's JSON.
        bench.counters = point["measured"];
        // The timer's own cost, measured the same way at every point.
        bench.files.push_back({"timer_overhead", "-", "noop"});
        for (const StatRead& r : generator->stat_reads()) {
          if (r.op == "lookup" || access(r.path.c_str(), R_OK) == 0)
            bench.files.push_back(r);
          else
            point["skipped"][r.metric] = r.path + ": " + std::strerror(errno) + " (not offered by this kernel/mode)";
        }
        if (!bench.files.empty()) {
          // A benchmark that fails at one point costs that point's latency
          // figures, not the sweep: the counts above are measured already.
          try {
            StatReadResult reads = run_stat_bench(bench);
            point["metrics"] = reads.metrics;
            for (const auto& [metric, reason] : reads.skipped.items()) point["skipped"][metric] = reason;
            point["gbench"] = reads.gbench;
            if (job.value("kernel_trace", false) && !generator->traced_functions().empty())
              point["kernel_trace"] = traced_pass(generator->traced_functions(), bench, reads.metrics);
          } catch (const std::exception& e) {
            point["bench_error"] = e.what();
            record["warnings"].push_back("point " + std::to_string(targets[i]) + ": " + e.what());
          }
        }
        bench.files.clear();
      }
      record["points"].push_back(point);
      progress({{"job_id", job_id},
                {"point", i},
                {"points", targets.size()},
                {"target", targets[i]},
                {"created", generator->created()},
                {"measured", point["measured"]},
                {"point_done", true}});
    }
  } catch (const GeneratorError& e) {
    // ENOSPC at the memcg ID limit, ENOMEM from unshare: the old-kernel
    // pathology itself. Recorded with the points measured so far.
    record["status"] = "partial";
    record["error"] = generator_error_json(e);
    record["created_at_error"] = generator->created();
  }
  if (job.value("reclaim", false) && record["status"] == "ok") {
    try {
      record["reclaim"] = generator->reclaim();
    } catch (const std::exception& e) {
      record["reclaim"] = {{"error", e.what()}};
    }
  }
  record["counters_after"] = read_kernel_counters();
  record["created"] = generator->created();
  record["per_object"] = per_object(record["counters_before"], record["counters_after"], generator->created());
  record["job_s"] = seconds_since(start);
  // Unit and direction of every figure in this record.
  nlohmann::json info = {{"ops_per_s", metric_info("ops_per_s")}};
  for (const auto& point : record["points"]) {
    if (!point.contains("metrics")) continue;
    for (const auto& [name, value] : point["metrics"].items()) info[name] = metric_info(name);
  }
  for (const auto& [name, value] : record["per_object"].items()) info[name] = metric_info(name);
  record["metric_info"] = info;
  generator->cleanup();
  return record;
}

}  // namespace kreg
