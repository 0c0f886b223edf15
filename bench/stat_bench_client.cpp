#include "bench/stat_bench_client.hpp"

#include <stdexcept>

#include "bench/exec_capture.hpp"

namespace kreg {

std::string sanitize_gbench_json(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size())
        out.push_back(text[++i]);
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool matched = false;
    for (const char* word : {"-Infinity", "Infinity", "-NaN", "NaN", "-inf", "inf", "-nan", "nan"}) {
      size_t n = std::char_traits<char>::length(word);
      if (text.compare(i, n, word) == 0) {
        out += "null";
        i += n - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back(c);
  }
  return out;
}

StatReadResult distributions_from_gbench(const nlohmann::json& gbench) {
  StatReadResult result;
  // The record keeps Google Benchmark's own JSON minus the per-repetition
  // entries, which become one compact samples_ns array per metric.
  result.gbench = gbench;
  result.gbench["benchmarks"] = nlohmann::json::array();
  for (const auto& bm : gbench.value("benchmarks", nlohmann::json::array()))
    if (bm.value("run_type", "") != "iteration") result.gbench["benchmarks"].push_back(bm);
  static const std::pair<const char*, const char*> kAggregates[] = {{"min", "min_ns"}, {"median", "median_ns"},
                                                                    {"p90", "p90_ns"}, {"p99", "p99_ns"},
                                                                    {"max", "max_ns"}, {"mean", "mean_ns"}};
  for (const auto& bm : gbench.value("benchmarks", nlohmann::json::array())) {
    std::string run_name = bm.value("run_name", bm.value("name", ""));
    std::string metric = run_name.substr(0, run_name.find('/'));
    if (bm.value("error_occurred", false)) {
      result.skipped[metric] = bm.value("error_message", "benchmark error");
      continue;
    }
    if (bm.value("run_type", "") == "iteration") {
      if (bm.at("real_time").is_number()) result.metrics[metric]["samples_ns"].push_back(bm["real_time"].get<double>());
      continue;
    }
    if (bm.value("run_type", "") != "aggregate") continue;
    if (bm.value("time_unit", "ns") != "ns") throw std::runtime_error("kreg-statbench must report ns");
    std::string aggregate = bm.value("aggregate_name", "");
    for (const auto& [name, field] : kAggregates) {
      if (aggregate == name && bm.at("real_time").is_number()) {
        result.metrics[metric][field] = bm.at("real_time").get<double>();
        result.metrics[metric]["samples"] = bm.value("repetitions", 0);
      }
    }
    if (bm.contains("bytes")) result.metrics[metric]["bytes"] = bm["bytes"];
  }
  return result;
}

StatReadResult run_stat_bench(const StatReadRequest& request) {
  std::vector<std::string> argv{request.binary};
  for (const StatRead& f : request.files) {
    argv.push_back("--" + f.op);
    argv.push_back(f.metric + "=" + f.path);
  }
  for (const auto& [name, value] : request.counters.items())
    if (value.is_number()) argv.insert(argv.end(), {"--counter", name + "=" + value.dump()});
  argv.insert(argv.end(), {"--samples", std::to_string(request.samples), "--warmup", std::to_string(request.warmup),
                           "--benchmark_format=json"});
  std::string text = exec_capture(argv, helper_environment());
  nlohmann::json gbench;
  try {
    gbench = nlohmann::json::parse(sanitize_gbench_json(text));
  } catch (const nlohmann::json::parse_error& e) {
    size_t at = e.byte > 60 ? e.byte - 60 : 0;
    throw std::runtime_error("kreg-statbench printed no valid JSON (" + std::to_string(text.size()) + " bytes; " +
                             e.what() + " near: " + text.substr(at, 120) + ")");
  }
  StatReadResult result = distributions_from_gbench(gbench);
  for (const StatRead& f : request.files) {
    if (!result.metrics.contains(f.metric)) continue;
    result.metrics[f.metric]["path"] = f.path;
    result.metrics[f.metric]["op"] = f.op;
  }
  return result;
}

}  // namespace kreg
