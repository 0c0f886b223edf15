#include "vm/source/kernel_make.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace kreg {

namespace {

std::string clock_text(double s) {
  int t = static_cast<int>(s);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%dm%02ds", t / 60, t % 60);
  return buf;
}

// Counts "  CC      mm/memcontrol.o" style lines in new log bytes.
int count_compiled(const std::string& chunk, std::string& partial) {
  static const std::regex compiled(R"(^\s+(CC|AS)(\s+\[M\])?\s+\S)");
  int n = 0;
  partial += chunk;
  size_t start = 0;
  for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
    if (std::regex_search(partial.substr(start, nl - start), compiled)) ++n;
  partial.erase(0, start);
  return n;
}

}  // namespace

bool live_progress() {
  const char* ci = std::getenv("CI");
  return isatty(STDERR_FILENO) && !(ci && *ci && std::string(ci) != "false");
}

MakeResult run_kernel_make(const std::vector<std::string>& argv, const std::string& log_path, const std::string& label,
                           int expected) {
  const auto started = std::chrono::steady_clock::now();
  pid_t pid = spawn_process(argv, {"", log_path, "=stdout", true, false});

  MakeResult r;
  const bool live = live_progress();
  std::ifstream log(log_path, std::ios::binary);
  std::string partial;
  std::vector<char> buf(1 << 16);
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    while (log.read(buf.data(), static_cast<std::streamsize>(buf.size())) || log.gcount() > 0) {
      r.compiled += count_compiled(std::string(buf.data(), static_cast<size_t>(log.gcount())), partial);
      if (log.eof()) break;
    }
    log.clear();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (live) {
      std::string of = expected > 0 ? " of ~" + std::to_string(expected) : "";
      std::fprintf(stderr, "\r\033[Kkreg: building %s: %d files compiled%s, %s", label.c_str(), r.compiled, of.c_str(),
                   clock_text(elapsed).c_str());
      std::fflush(stderr);
    }
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (live) std::fprintf(stderr, "\r\033[K");
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

std::string first_build_error(const std::string& log) {
  static const std::regex compiler(
      R"((: (fatal )?error: |^\s*#error|#error |undefined reference to|multiple definition of|: Error: |missing symbol table|No rule to make target))");
  static const std::regex make_error(R"(\*\*\* )");
  std::string make_line;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, compiler)) {
      line.erase(0, line.find_first_not_of(" \t"));
      return line;
    }
    if (make_line.empty() && std::regex_search(line, make_error)) make_line = line;
  }
  return make_line;
}

}  // namespace kreg
