#include "bench/kernel_trace.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "scenarios/memcg_counts.hpp"

namespace kreg {

std::string tracefs_dir() {
  for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
    if (access((std::string(dir) + "/current_tracer").c_str(), W_OK) == 0) return dir;
  if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0 &&
      access("/sys/kernel/tracing/current_tracer", W_OK) == 0)
    return "/sys/kernel/tracing";
  return "";
}

namespace {

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

nlohmann::json parse_function_graph(const std::string& trace) {
  nlohmann::json functions = nlohmann::json::object();
  std::istringstream lines(trace);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::string left = line.substr(0, bar), right = trim(line.substr(bar + 1));
    size_t us = left.find(" us");
    if (us == std::string::npos) continue;  // an entry line "name() {" carries no duration
    size_t start = left.find_last_of(" +!#*@$", us - 1);
    double micros = std::atof(left.c_str() + (start == std::string::npos ? 0 : start + 1));
    std::string name;
    if (right.size() > 3 && right.compare(right.size() - 3, 3, "();") == 0) {
      name = right.substr(0, right.size() - 3);
    } else if (right.rfind("} /* ", 0) == 0 && right.size() > 8) {
      name = right.substr(5, right.size() - 8);
    }
    if (name.empty()) continue;
    auto& f = functions[name];
    if (f.is_null()) f = {{"calls", 0}, {"total_us", 0.0}};
    f["calls"] = f.value("calls", int64_t{0}) + 1;
    f["total_us"] = f.value("total_us", 0.0) + micros;
  }
  for (auto& [name, f] : functions.items()) f["mean_us"] = f["total_us"].get<double>() / f["calls"].get<double>();
  return functions;
}

nlohmann::json trace_kernel_functions(const std::vector<std::string>& functions, const std::function<void()>& work) {
  std::string dir = tracefs_dir();
  if (dir.empty()) return {{"available", false}, {"reason", "no writable tracefs (CONFIG_FTRACE off, or not root)"}};
  std::string tracers;
  try {
    tracers = read_text_file(dir + "/available_tracers");
  } catch (const std::exception&) {
  }
  if (tracers.find("function_graph") == std::string::npos)
    return {{"available", false}, {"reason", "tracer function_graph not built in (CONFIG_FUNCTION_GRAPH_TRACER off)"}};
  write_file(dir + "/tracing_on", "0");
  write_file(dir + "/current_tracer", "nop");
  write_file(dir + "/set_ftrace_filter", "");
  nlohmann::json missing = nlohmann::json::array();
  size_t traced = 0;
  for (const std::string& f : functions) {
    // Appending one name at a time: an unknown one fails alone (EINVAL).
    std::ofstream filter(dir + "/set_ftrace_filter", std::ios::app);
    filter << f << "\n";
    filter.flush();
    if (filter)
      ++traced;
    else
      missing.push_back(f);
  }
  if (traced == 0)
    return {{"available", false},
            {"reason", "none of the functions is traceable (inlined or absent)"},
            {"not_traceable", missing}};
  // Per CPU. A long hash chain makes ~1,000 proc_sys_compare calls per lookup;
  // what does not fit is overwritten, and "overrun" below says so.
  write_file(dir + "/buffer_size_kb", "65536");
  write_file(dir + "/options/funcgraph-tail", "1");
  write_file(dir + "/current_tracer", "function_graph");
  write_file(dir + "/trace", "");
  write_file(dir + "/tracing_on", "1");
  work();
  write_file(dir + "/tracing_on", "0");
  std::string trace;
  try {
    trace = read_text_file(dir + "/trace");
  } catch (const std::exception&) {
  }
  write_file(dir + "/current_tracer", "nop");
  write_file(dir + "/set_ftrace_filter", "");
  nlohmann::json result = {{"available", true}, {"functions", parse_function_graph(trace)}, {"not_traceable", missing}};
  // The ring buffer overwrites its oldest events when full: call counts are
  // then only what fitted (per-call times are still a fair sample).
  int64_t overrun = 0;
  for (int cpu = 0; cpu < 1024; ++cpu) {
    std::ifstream stats(dir + "/per_cpu/cpu" + std::to_string(cpu) + "/stats");
    if (!stats) break;
    for (std::string line; std::getline(stats, line);)
      if (line.rfind("overrun:", 0) == 0) overrun += std::atoll(line.c_str() + 8);
  }
  result["overrun_events"] = overrun;
  result["calls_complete"] = overrun == 0;
  return result;
}

}  // namespace kreg
