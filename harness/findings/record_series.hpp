// What a job record's sweep points hold of each latency metric: per point the
// distribution summary (median, p90, mean, standard deviation, n) and the raw
// samples where the record keeps them. kreg compare and the findings engine
// read records through this one file, so they test the same numbers.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kreg::findings {

// One metric at one sweep point.
struct Dist {
  double target = 0, x = 0;  // the sweep target; the objects created (x of every fit)
  double median = 0, p90 = 0, mean = 0, samples = 0;
  std::optional<double> sd;
  std::vector<double> raw;  // per-repetition samples: metrics[m].samples_ns, or gbench's iteration entries
};

// metric -> its distribution at one point (metrics without a median are left out).
std::map<std::string, Dist> point_dists(const nlohmann::json& point);

// metric -> its points in sweep order.
std::map<std::string, std::vector<Dist>> series_of(const nlohmann::json& record);

// Several records of one line (repetitions) as one series: points of the same
// target merged (median and p90: median of the repetitions'; mean, standard
// deviation and n: those of the pooled samples), sorted by objects created.
std::vector<Dist> pooled_series(const std::vector<const std::vector<Dist>*>& repetitions);

}  // namespace kreg::findings
