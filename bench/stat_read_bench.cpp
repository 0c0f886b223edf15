// kreg-statbench: latency of one operation on a kernel path, one Google
// Benchmark per path.
//
//   kreg-statbench (--read|--open|--stat|--lookup|--noop) NAME=PATH [...] [--samples N] [--warmup N]
//                  [--counter NAME=VALUE ...] [--benchmark_format=json ...]
//
// --read is what a monitoring agent (kubelet, cAdvisor) does: open, read to
// EOF in 64 KiB chunks, close. --open is open + close: the path walk, where a
// long dcache hash chain (__d_lookup, proc_sys_compare) shows. --stat is the
// path walk through stat(). --lookup is stat() of a name that must not
// exist (ENOENT is the expected answer): a negative-dentry lookup. --noop
// times nothing, so its figure is the timer's own overhead. --counter attaches
// the point's object counts (measured from the kernel by the caller) to every
// benchmark as Google Benchmark counters, so its JSON stands on its own. Each repetition times exactly one operation
// with CLOCK_MONOTONIC (manual time, so Google Benchmark's own loop is not in the figure); the repetitions are the
// samples, and the distribution (min/median/p90/p99/max) is computed as Google Benchmark statistics.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

enum class Op { Read, Open, Stat, Lookup, Noop };

struct Target {
  std::string name, path;
  Op op;
};

// Returns bytes read, or -1 with errno set.
long read_whole_file(const char* path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return -1;
    }
    if (n == 0) break;
    total += n;
  }
  close(fd);
  return total;
}

// Bytes read (0 for open/stat), or -1 with errno set.
long do_op(Op op, const char* path) {
  if (op == Op::Read) return read_whole_file(path);
  if (op == Op::Open) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    close(fd);
    return 0;
  }
  if (op == Op::Noop) return 0;
  struct stat st;
  if (op == Op::Lookup) {
    if (stat(path, &st) == 0) {
      errno = EEXIST;  // a lookup benchmark on a name that exists measures the wrong thing
      return -1;
    }
    return errno == ENOENT ? 0 : -1;
  }
  return stat(path, &st) == 0 ? 0 : -1;
}

double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::pair<std::string, double>> g_counters;

void bm_op(benchmark::State& state, const Target& target) {
  const std::string& path = target.path;
  long bytes = 0;
  for (auto _ : state) {
    double start = now_seconds();
    bytes = do_op(target.op, path.c_str());
    double elapsed = now_seconds() - start;
    if (bytes < 0) {
      state.SkipWithError((path + ": " + std::strerror(errno)).c_str());
      break;
    }
    state.SetIterationTime(elapsed);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  for (const auto& [name, value] : g_counters) state.counters[name] = value;
}

double percentile(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::vector<double> s(v);
  std::sort(s.begin(), s.end());
  // Nearest-rank: the smallest sample with at least q of the samples at or below it.
  size_t rank = static_cast<size_t>(q * static_cast<double>(s.size()) + 0.999999);
  return s[std::clamp<size_t>(rank, 1, s.size()) - 1];
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(
      stderr,
      "kreg-statbench: %s (usage: (--read|--open|--stat|--lookup|--noop) NAME=PATH [--samples N] [--warmup N])\n", why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Target> targets;
  int samples = 200, warmup = 10;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--read" || arg == "--open" || arg == "--stat" || arg == "--lookup" || arg == "--noop") {
      std::string spec = value();
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0) usage((arg + " takes NAME=PATH").c_str());
      Op op = arg == "--read"     ? Op::Read
              : arg == "--open"   ? Op::Open
              : arg == "--stat"   ? Op::Stat
              : arg == "--lookup" ? Op::Lookup
                                  : Op::Noop;
      targets.push_back({spec.substr(0, eq), spec.substr(eq + 1), op});
    } else if (arg == "--counter") {
      std::string spec = value();
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0) usage("--counter takes NAME=VALUE");
      g_counters.push_back({spec.substr(0, eq), std::atof(spec.c_str() + eq + 1)});
    } else if (arg == "--samples") {
      samples = std::atoi(value().c_str());
    } else if (arg == "--warmup") {
      warmup = std::atoi(value().c_str());
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (targets.empty()) usage("nothing to read");
  if (samples < 1) usage("--samples must be at least 1");

  for (const Target& t : targets) {
    // Warm-up reads populate the dentry/inode caches and fault in the code
    // path, so the first sample is not a cold-cache outlier.
    for (int w = 0; w < warmup; ++w) do_op(t.op, t.path.c_str());
    benchmark::RegisterBenchmark(t.name.c_str(), bm_op, t)
        ->Iterations(1)
        ->Repetitions(samples)
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond)
        // Every repetition is reported: the host keeps them as the raw
        // samples (samples_ns) that kreg compare's rank test needs.
        ->ReportAggregatesOnly(false)
        ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
        ->ComputeStatistics("max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); })
        ->ComputeStatistics("p90", [](const std::vector<double>& v) { return percentile(v, 0.90); })
        ->ComputeStatistics("p99", [](const std::vector<double>& v) { return percentile(v, 0.99); });
  }
  int bargc = static_cast<int>(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(bargc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
