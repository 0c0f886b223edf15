#include "vm/boot/host_tsc.hpp"

#include <time.h>

#include <fstream>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace kreg {

namespace {

bool cpuinfo_has_steady_tsc() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    return line.find(" constant_tsc") != std::string::npos && line.find(" nonstop_tsc") != std::string::npos;
  }
  return false;
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

unsigned long measure_khz() {
#if defined(__x86_64__)
  if (!cpuinfo_has_steady_tsc()) return 0;
  // 50 ms: a microsecond of clock_gettime jitter at each end is 40 ppm, far
  // finer than the kernel's own PIT calibration.
  const double t0 = now_s();
  const unsigned long long c0 = __rdtsc();
  double t1 = t0;
  while (t1 - t0 < 0.05) t1 = now_s();
  const unsigned long long c1 = __rdtsc();
  return static_cast<unsigned long>(static_cast<double>(c1 - c0) / (t1 - t0) / 1000.0 + 0.5);
#else
  return 0;
#endif
}

}  // namespace

unsigned long host_tsc_khz() {
  static const unsigned long khz = measure_khz();
  return khz;
}

}  // namespace kreg
