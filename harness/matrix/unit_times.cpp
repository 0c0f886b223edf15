#include "harness/matrix/unit_times.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness/matrix/shard_plan.hpp"
#include "harness/store/result_store.hpp"
#include "vm/common/text_file.hpp"

namespace kreg {

UnitTimes::UnitTimes(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  const std::string text = read_file_or_empty(path_);
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) return;
  for (const auto& [k, v] : parsed.items())
    if (v.is_number()) seconds_[k] = v.get<double>();
}

// The kernel, the job with its mode, and a digest of everything the job
// asks for: a suite that changes a job's targets starts from the estimate.
std::string UnitTimes::key(const MatrixUnit& unit) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds, unlike std::hash
  for (unsigned char c : unit.job.dump()) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{}/{}@{:016x}", unit.kernel_label, unit.job.value("job_id", ""), h);
}

bool UnitTimes::known(const MatrixUnit& unit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seconds_.contains(key(unit));
}

double UnitTimes::expected_s(const MatrixUnit& unit) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = seconds_.find(key(unit));
    if (it != seconds_.end()) return it->second;
  }
  return estimate_unit_cost_s(unit.job);
}

void UnitTimes::remember(const MatrixUnit& unit, double wall_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  seconds_[key(unit)] = wall_s;
}

void UnitTimes::save() const {
  if (path_.empty()) return;
  nlohmann::json out = nlohmann::json::object();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [k, v] : seconds_) out[k] = v;
  }
  try {
    write_file_atomically(path_, out.dump(1) + "\n");
  } catch (const std::exception&) {
  }
}

std::vector<size_t> longest_first(const std::vector<MatrixUnit>& units, std::vector<size_t> todo,
                                  const UnitTimes& times) {
  std::vector<double> expected(units.size(), 0.0);
  for (size_t i : todo) expected[i] = times.expected_s(units[i]);
  std::stable_sort(todo.begin(), todo.end(), [&](size_t a, size_t b) { return expected[a] > expected[b]; });
  return todo;
}

}  // namespace kreg
