#include "scenarios/pause_pods.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace kreg {

namespace {

// A live pause process: PID 1 of a child pid namespace ("NSpid: <ours> 1"), not a zombie.
bool is_pause_process(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  bool alive = false, init = false;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("State:", 0) == 0) {
      alive = line.find_first_of("ZX") == std::string::npos;
    } else if (line.rfind("NSpid:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::vector<long> ids;
      for (long id; in >> id;) ids.push_back(id);
      init = ids.size() >= 2 && ids.back() == 1;
    }
  }
  return alive && init;
}

}  // namespace

int64_t count_live_pods(const std::string& dir) {
  int64_t live = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::ifstream procs(it->path() / "cgroup.procs");
    for (std::string pid; procs >> pid;)
      if (is_pause_process(pid)) {
        ++live;
        break;
      }
  }
  return live;
}

}  // namespace kreg
