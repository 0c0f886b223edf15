#include "harness/term/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace kreg {

Progress::Progress() : start_(std::chrono::steady_clock::now()) {
  const char* ci = std::getenv("CI");
  live_ = isatty(STDERR_FILENO) && !(ci && *ci && std::string(ci) != "false");
}

void Progress::status(const std::string& line) {
  if (!live_) return;
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  dirty_ = true;
}

void Progress::note(const std::string& line) {
  if (dirty_) std::fprintf(stderr, "\r\033[K");
  dirty_ = false;
  std::fprintf(stderr, "%s\n", line.c_str());
}

std::string Progress::eta(double fraction_done) const {
  if (fraction_done <= 0.01 || fraction_done >= 1) return "";
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int left = static_cast<int>(elapsed / fraction_done - elapsed);
  return "ETA " + std::to_string(left / 60) + "m" + std::to_string(left % 60) + "s";
}

}  // namespace kreg
