// Google Benchmark's JSON -> kreg latency distributions.
#include <gtest/gtest.h>

#include "bench/metric_catalog.hpp"
#include "bench/stat_bench_client.hpp"

namespace kreg {
namespace {

nlohmann::json aggregate(const std::string& metric, const std::string& agg, double ns) {
  return {{"name", metric + "/iterations:1/repeats:50/manual_time_" + agg},
          {"run_name", metric + "/iterations:1/repeats:50/manual_time"},
          {"run_type", "aggregate"},
          {"repetitions", 50},
          {"aggregate_name", agg},
          {"real_time", ns},
          {"time_unit", "ns"},
          {"bytes", 188.0}};
}

TEST(StatBenchClient, TakesEveryAggregateOfEveryMetric) {
  nlohmann::json gb = {{"context", {{"num_cpus", 2}}}, {"benchmarks", nlohmann::json::array()}};
  const std::pair<const char*, double> aggs[] = {{"mean", 5}, {"median", 4}, {"stddev", 9}, {"min", 1},
                                                 {"max", 20}, {"p90", 7},    {"p99", 15}};
  for (const char* metric : {"root_memory_numa_stat_read", "root_memory_stat_read"})
    for (auto [agg, ns] : aggs) gb["benchmarks"].push_back(aggregate(metric, agg, ns));
  StatReadResult r = distributions_from_gbench(gb);
  ASSERT_EQ(r.metrics.size(), 2u);
  const auto& m = r.metrics["root_memory_stat_read"];
  EXPECT_EQ(m["min_ns"], 1);
  EXPECT_EQ(m["median_ns"], 4);
  EXPECT_EQ(m["p90_ns"], 7);
  EXPECT_EQ(m["p99_ns"], 15);
  EXPECT_EQ(m["max_ns"], 20);
  EXPECT_EQ(m["mean_ns"], 5);
  EXPECT_EQ(m["samples"], 50);
  EXPECT_FALSE(m.contains("stddev_ns"));
  EXPECT_EQ(r.gbench, gb);
}

TEST(StatBenchClient, RepetitionsBecomeRawSamplesAndLeaveTheStoredJson) {
  nlohmann::json gb = {{"benchmarks", nlohmann::json::array()}};
  for (double ns : {30.0, 10.0, 20.0})
    gb["benchmarks"].push_back({{"name", "m/iterations:1/repeats:3/manual_time"},
                                {"run_name", "m/iterations:1/repeats:3/manual_time"},
                                {"run_type", "iteration"},
                                {"repetitions", 3},
                                {"real_time", ns},
                                {"time_unit", "ns"}});
  gb["benchmarks"].push_back(aggregate("m", "median", 20));
  StatReadResult r = distributions_from_gbench(gb);
  EXPECT_EQ(r.metrics["m"]["samples_ns"], nlohmann::json({30.0, 10.0, 20.0})) << "in measurement order";
  EXPECT_EQ(r.metrics["m"]["median_ns"], 20);
  ASSERT_EQ(r.gbench["benchmarks"].size(), 1u) << "only the aggregates stay in the gbench copy";
  EXPECT_EQ(r.gbench["benchmarks"][0]["run_type"], "aggregate");
}

TEST(StatBenchClient, BenchmarkErrorBecomesSkippedWithReason) {
  nlohmann::json gb = {{"benchmarks",
                        {{{"name", "root_memory_numa_stat_read/iterations:1/repeats:5/manual_time"},
                          {"run_name", "root_memory_numa_stat_read/iterations:1/repeats:5/manual_time"},
                          {"run_type", "iteration"},
                          {"error_occurred", true},
                          {"error_message", "/sys/fs/cgroup/memory/memory.numa_stat: No such file or directory"}}}}};
  StatReadResult r = distributions_from_gbench(gb);
  EXPECT_TRUE(r.metrics.empty());
  EXPECT_NE(r.skipped["root_memory_numa_stat_read"].get<std::string>().find("No such file"), std::string::npos);
}

TEST(StatBenchClient, NonNanosecondUnitIsRejected) {
  nlohmann::json gb = {{"benchmarks", {aggregate("x", "median", 1)}}};
  gb["benchmarks"][0]["time_unit"] = "us";
  EXPECT_THROW(distributions_from_gbench(gb), std::runtime_error);
}

TEST(StatBenchClient, BareNanAndInfinityBecomeNullOutsideStrings) {
  std::string printed = R"({"context": {"executable": "/x/NaN-Infinity", "load_avg": [NaN, -Infinity, 0.5]},)"
                        R"( "benchmarks": [{"name": "a", "cv": NaN, "real_time": 1.5e+04}]})";
  nlohmann::json j = nlohmann::json::parse(sanitize_gbench_json(printed));
  EXPECT_EQ(j["context"]["executable"], "/x/NaN-Infinity");  // strings untouched
  EXPECT_TRUE(j["context"]["load_avg"][0].is_null());
  EXPECT_TRUE(j["context"]["load_avg"][1].is_null());
  EXPECT_EQ(j["context"]["load_avg"][2], 0.5);
  EXPECT_TRUE(j["benchmarks"][0]["cv"].is_null());
  EXPECT_EQ(j["benchmarks"][0]["real_time"], 1.5e4);
}

TEST(MetricCatalog, EveryKindOfFigureHasAUnitAndADirection) {
  EXPECT_EQ(metric_info("root_memory_numa_stat_read")["unit"], "ns");
  EXPECT_EQ(metric_info("sysctl_ipv6_disable_ipv6_open")["worse"], "higher");
  EXPECT_EQ(metric_info("negative_dentry_cached_lookup")["unit"], "ns");
  EXPECT_EQ(metric_info("timer_overhead")["unit"], "ns");
  EXPECT_EQ(metric_info("ops_per_s")["worse"], "lower");  // fewer objects per second is worse
  EXPECT_EQ(metric_info("meminfo_slab_bytes")["unit"], "bytes");
  EXPECT_TRUE(metric_info("something_unknown").is_null());
}

}  // namespace
}  // namespace kreg
