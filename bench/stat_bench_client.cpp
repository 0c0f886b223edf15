#include "bench/stat_bench_client.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace kreg {

namespace {

// fork+execve the benchmark with its stdout on a pipe; stderr goes to the console.
std::string run_capture(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The closure's libraries sit in the multiarch dirs; say so explicitly,
  // since the initramfs has no ld.so.cache. On the host (--local) the normal
  // search already finds them; the variable only adds the same directories.
  char env_path[] = "LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64";
  char* envp[] = {env_path, nullptr};
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(out[1], 1);
    execve(args[0], args.data(), envp);
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (status != 0)
    throw std::runtime_error(argv[0] + " exited with status " + std::to_string(status) +
                             (status == 127 << 8 ? " (cannot execute: missing library?)" : ""));
  return text;
}

}  // namespace

StatReadResult distributions_from_gbench(const nlohmann::json& gbench) {
  StatReadResult result;
  result.gbench = gbench;
  static const std::pair<const char*, const char*> kAggregates[] = {
      {"min", "min_ns"}, {"median", "median_ns"}, {"p90", "p90_ns"},
      {"p99", "p99_ns"}, {"max", "max_ns"},       {"mean", "mean_ns"}};
  for (const auto& bm : gbench.value("benchmarks", nlohmann::json::array())) {
    std::string run_name = bm.value("run_name", bm.value("name", ""));
    std::string metric = run_name.substr(0, run_name.find('/'));
    if (bm.value("error_occurred", false)) {
      result.skipped[metric] = bm.value("error_message", "benchmark error");
      continue;
    }
    if (bm.value("run_type", "") != "aggregate") continue;
    if (bm.value("time_unit", "ns") != "ns") throw std::runtime_error("kreg-statbench must report ns");
    std::string aggregate = bm.value("aggregate_name", "");
    for (const auto& [name, field] : kAggregates) {
      if (aggregate == name) {
        result.metrics[metric][field] = bm.at("real_time").get<double>();
        result.metrics[metric]["samples"] = bm.value("repetitions", 0);
      }
    }
    if (bm.contains("bytes")) result.metrics[metric]["bytes"] = bm["bytes"];
  }
  return result;
}

StatReadResult run_stat_bench(const StatReadRequest& request) {
  std::vector<std::string> argv{request.binary};
  for (const auto& [name, path] : request.files) {
    argv.push_back("--read");
    argv.push_back(name + "=" + path);
  }
  argv.insert(argv.end(), {"--samples", std::to_string(request.samples), "--warmup",
                           std::to_string(request.warmup), "--benchmark_format=json"});
  std::string text = run_capture(argv);
  nlohmann::json gbench = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (gbench.is_discarded())
    throw std::runtime_error("kreg-statbench printed no JSON (" + std::to_string(text.size()) + " bytes)");
  StatReadResult result = distributions_from_gbench(gbench);
  for (const auto& [name, path] : request.files)
    if (result.metrics.contains(name)) result.metrics[name]["path"] = path;
  return result;
}

}  // namespace kreg
