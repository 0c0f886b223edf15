#include "harness/bisect/bisect_search.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace kreg {

const char* verdict_text(StepVerdict v) {
  switch (v) {
    case StepVerdict::Good:
      return "good";
    case StepVerdict::Bad:
      return "bad";
    case StepVerdict::Skip:
      return "skip";
  }
  return "?";
}

std::optional<StepVerdict> verdict_from_text(const std::string& text) {
  if (text == "good") return StepVerdict::Good;
  if (text == "bad") return StepVerdict::Bad;
  if (text == "skip") return StepVerdict::Skip;
  return std::nullopt;
}

BisectSearch::BisectSearch(size_t size) : size_(size) {
  if (size < 2) throw std::invalid_argument("a bisection needs at least two kernels");
}

void BisectSearch::record(size_t position, StepVerdict verdict) {
  if (position >= size_) throw std::out_of_range("bisect position " + std::to_string(position));
  verdicts_[position] = verdict;
}

size_t BisectSearch::first_bad() const {
  for (const auto& [pos, v] : verdicts_)
    if (v == StepVerdict::Bad) return pos;
  return size_ - 1;
}

size_t BisectSearch::last_good() const {
  const size_t bad = first_bad();
  size_t good = 0;
  for (const auto& [pos, v] : verdicts_)
    if (v == StepVerdict::Good && pos < bad) good = pos;
  return good;
}

std::vector<size_t> BisectSearch::untested() const {
  std::vector<size_t> out;
  for (size_t p = last_good() + 1; p < first_bad(); ++p)
    if (!verdicts_.count(p)) out.push_back(p);
  return out;
}

std::vector<size_t> BisectSearch::skipped() const {
  std::vector<size_t> out;
  for (size_t p = last_good() + 1; p < first_bad(); ++p)
    if (auto it = verdicts_.find(p); it != verdicts_.end() && it->second == StepVerdict::Skip) out.push_back(p);
  return out;
}

std::vector<size_t> BisectSearch::next(int width) const {
  const std::vector<size_t> open = untested();
  if (open.empty() || width < 1) return {};
  const size_t lo = last_good(), hi = first_bad();
  const double candidates = static_cast<double>(hi - lo);  // culprit in (lo, hi]
  std::set<size_t> chosen;
  const size_t want = std::min<size_t>(static_cast<size_t>(width), open.size());
  for (int k = 1; k <= width && chosen.size() < want; ++k) {
    const double ideal = static_cast<double>(lo) + candidates * k / (width + 1);
    // Nearest open position to the ideal cut not chosen yet; lower first on a tie.
    size_t best = 0;
    double best_distance = -1;
    for (size_t p : open) {
      if (chosen.count(p)) continue;
      double d = std::fabs(static_cast<double>(p) - ideal);
      if (best_distance < 0 || d < best_distance - 1e-9) {
        best = p;
        best_distance = d;
      }
    }
    if (best_distance >= 0) chosen.insert(best);
  }
  return {chosen.begin(), chosen.end()};
}

std::vector<std::pair<size_t, size_t>> BisectSearch::contradictions() const {
  std::vector<std::pair<size_t, size_t>> out;
  const size_t bad = first_bad();
  if (!verdicts_.count(bad) || verdicts_.at(bad) != StepVerdict::Bad) return out;
  for (const auto& [pos, v] : verdicts_)
    if (pos > bad && v == StepVerdict::Good) out.emplace_back(bad, pos);
  return out;
}

int BisectSearch::rounds_left(int width) const {
  const size_t candidates = untested().size() + 1;
  if (candidates <= 1) return 0;
  return static_cast<int>(std::ceil(std::log(static_cast<double>(candidates)) / std::log(width + 1.0) - 1e-9));
}

int ceil_log2(size_t n) {
  int steps = 0;
  for (size_t reach = 1; reach < n; reach *= 2) ++steps;
  return steps;
}

int best_width(int slots, int tries, size_t candidates) {
  slots = std::max(1, slots);
  tries = std::max(1, tries);
  int best = 1;
  double best_rate = 0;
  for (int w = 1; w <= 8 && static_cast<size_t>(w) <= std::max<size_t>(1, candidates); ++w) {
    const double rounds_cost = std::ceil(static_cast<double>(w) * tries / slots);
    const double rate = std::log2(w + 1.0) / rounds_cost;
    if (rate > best_rate + 1e-9) {
      best = w;
      best_rate = rate;
    }
  }
  return best;
}

}  // namespace kreg
