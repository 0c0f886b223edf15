#include "harness/findings/record_series.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace kreg::findings {

using nlohmann::json;

namespace {

double time_unit_ns(const std::string& unit) {
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 1;
}

// metric name of a Google Benchmark entry: its run name up to the first '/'
std::string gbench_metric(const json& bm) {
  std::string run_name = bm.value("run_name", bm.value("name", ""));
  return run_name.substr(0, run_name.find('/'));
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::map<std::string, Dist> point_dists(const json& point) {
  std::map<std::string, Dist> out;
  if (!point.contains("metrics") || !point["metrics"].is_object()) return out;
  for (const auto& [name, m] : point["metrics"].items()) {
    if (!m.is_object() || !m.contains("median_ns") || !m["median_ns"].is_number()) continue;
    Dist d;
    d.target = point.value("target", 0.0);
    d.x = point.value("created", d.target);
    d.median = m["median_ns"].get<double>();
    d.p90 = m.value("p90_ns", d.median);
    d.mean = m.value("mean_ns", d.median);
    d.samples = m.value("samples", 0.0);
    if (m.contains("stddev_ns") && m["stddev_ns"].is_number()) d.sd = m["stddev_ns"].get<double>();
    if (m.contains("samples_ns") && m["samples_ns"].is_array())  // raw samples, where a recorder keeps them
      for (const auto& v : m["samples_ns"])
        if (v.is_number()) d.raw.push_back(v.get<double>());
    out[name] = d;
  }
  std::set<std::string> raw_from_metrics;
  for (const auto& [name, d] : out)
    if (!d.raw.empty()) raw_from_metrics.insert(name);
  if (point.contains("gbench") && point["gbench"].is_object()) {
    for (const auto& bm : point["gbench"].value("benchmarks", json::array())) {
      auto it = out.find(gbench_metric(bm));
      if (it == out.end() || !bm.contains("real_time") || !bm["real_time"].is_number()) continue;
      double scale = time_unit_ns(bm.value("time_unit", "ns"));
      double value = bm["real_time"].get<double>() * scale;
      std::string type = bm.value("run_type", "");
      if (type == "aggregate" && bm.value("aggregate_name", "") == "stddev" && !it->second.sd)
        it->second.sd = value;
      else if (type == "iteration" && !bm.value("error_occurred", false) && !raw_from_metrics.count(it->first))
        it->second.raw.push_back(value);
    }
  }
  return out;
}

std::map<std::string, std::vector<Dist>> series_of(const json& record) {
  std::map<std::string, std::vector<Dist>> out;
  for (const auto& point : record.value("points", json::array()))
    for (auto& [name, d] : point_dists(point)) out[name].push_back(std::move(d));
  return out;
}

std::vector<Dist> pooled_series(const std::vector<const std::vector<Dist>*>& repetitions) {
  std::map<double, std::vector<const Dist*>> by_target;
  for (const auto* series : repetitions)
    for (const Dist& d : *series) by_target[d.target].push_back(&d);
  std::vector<Dist> out;
  for (const auto& [target, ds] : by_target) {
    if (ds.size() == 1) {
      out.push_back(*ds.front());
      continue;
    }
    Dist p;
    p.target = target;
    std::vector<double> xs, medians, p90s;
    double n = 0, sum = 0;
    bool all_sd = true;
    for (const Dist* d : ds) {
      xs.push_back(d->x);
      medians.push_back(d->median);
      p90s.push_back(d->p90);
      n += d->samples;
      sum += d->mean * d->samples;
      all_sd &= d->sd.has_value();
      p.raw.insert(p.raw.end(), d->raw.begin(), d->raw.end());
    }
    p.x = median_of(xs);
    p.median = median_of(medians);
    p.p90 = median_of(p90s);
    p.samples = n;
    p.mean = n > 0 ? sum / n : p.median;
    if (all_sd && n > 1) {  // the pooled samples' variance: within-repetition plus between-repetition spread
      double ss = 0;
      for (const Dist* d : ds) ss += (d->samples - 1) * *d->sd * *d->sd + d->samples * std::pow(d->mean - p.mean, 2);
      p.sd = std::sqrt(ss / (n - 1));
    }
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const Dist& a, const Dist& b) { return a.x < b.x; });
  return out;
}

}  // namespace kreg::findings
