// How long each unit took the last time it ran on this machine, so the next
// run can start the longest units first (longest-processing-time-first: the
// 70-80 s memcg units of 6.12 and 7.3 used to start last and finish alone).
// Kept in <results>/unit-times.json, beside the runs; a unit never seen before is estimated
// from the generator table (shard_plan.hpp).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "harness/matrix/matrix.hpp"

namespace kreg {

class UnitTimes {
 public:
  // `path` "" keeps nothing (tests, --local); an unreadable file is a cold start.
  explicit UnitTimes(std::string path);
  // Seconds the unit is expected to take: its last wall time here, else the estimate.
  double expected_s(const MatrixUnit& unit) const;
  bool known(const MatrixUnit& unit) const;
  // Thread-safe; written to disk by save().
  void remember(const MatrixUnit& unit, double wall_s);
  // Best effort: a read-only cache only loses the ordering hint.
  void save() const;

 private:
  static std::string key(const MatrixUnit& unit);
  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, double> seconds_;
};

// `todo` (indexes into `units`) reordered longest expected first; ties keep plan order.
std::vector<size_t> longest_first(const std::vector<MatrixUnit>& units, std::vector<size_t> todo,
                                  const UnitTimes& times);

}  // namespace kreg
