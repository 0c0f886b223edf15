// Progress for long work: a live status line on a terminal; in CI (CI set,
// or stderr not a terminal) only a plain line per finished point, so logs
// stay short and readable.
#pragma once

#include <chrono>
#include <string>

namespace kreg {

class Progress {
 public:
  Progress();
  // Live status (overwritten on a terminal; dropped in CI).
  void status(const std::string& line);
  // A line that always stays (printed in CI too).
  void note(const std::string& line);
  // "ETA 1m20s" from the fraction done so far, "" when unknown.
  std::string eta(double fraction_done) const;

 private:
  bool live_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kreg
