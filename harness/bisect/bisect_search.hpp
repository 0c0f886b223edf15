// The search itself, with no I/O: which positions of an ordered kernel list
// to measure next, and what the verdicts so far conclude. Position 0 is the
// good endpoint, size()-1 the bad one. Skipped positions (build or boot
// failure, could not compare) are stepped around as `git bisect skip` does;
// several positions can be measured at once (a (width+1)-way split of the
// window), which is what a host with room for more VMs buys.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kreg {

enum class StepVerdict { Good, Bad, Skip };
const char* verdict_text(StepVerdict v);  // "good", "bad", "skip"
std::optional<StepVerdict> verdict_from_text(const std::string& text);

class BisectSearch {
 public:
  explicit BisectSearch(size_t size);  // size >= 2

  size_t size() const { return size_; }
  void record(size_t position, StepVerdict verdict);
  const std::map<size_t, StepVerdict>& verdicts() const { return verdicts_; }

  // The window the culprit is in: the first position measured bad (the bad
  // endpoint until something below it is), and the last position measured
  // good below it (the good endpoint until something above it is).
  size_t first_bad() const;
  size_t last_good() const;

  // Positions strictly inside the window without a verdict, and with a skip.
  std::vector<size_t> untested() const;
  std::vector<size_t> skipped() const;

  // Nothing left to measure: the culprit is first_bad() when no skipped
  // position lies inside the window, else any of skipped() and first_bad().
  bool done() const { return untested().empty(); }
  bool found() const { return done() && skipped().empty(); }

  // Up to `width` positions to measure next, spread over the window: the
  // culprit candidates (last_good, first_bad] are cut into width+1 equal
  // parts, and each cut takes the nearest untested position (lower first on
  // a tie), so a skipped position moves the cut to a neighbour.
  std::vector<size_t> next(int width) const;

  // Verdicts that contradict a single good->bad change: (bad position, a
  // position above it measured good). Noise, or a regression fixed again.
  std::vector<std::pair<size_t, size_t>> contradictions() const;

  // Rounds of `width` positions still needed to end the search (for ETA).
  int rounds_left(int width) const;

 private:
  size_t size_;
  std::map<size_t, StepVerdict> verdicts_;
};

// ceil(log2(n)) for n >= 1: the steps a plain bisection of n candidates takes.
int ceil_log2(size_t n);

// The width (positions measured at once) that learns the most per unit of
// wall time, for `tries` VMs per position on `slots` VMs at once:
// log2(width+1) bits per round that takes ceil(width*tries/slots) VM
// lengths; at most `candidates`.
int best_width(int slots, int tries, size_t candidates);

}  // namespace kreg
