#include "scenarios/memcg_reclaim.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "scenarios/memcg_counts.hpp"

namespace kreg {

nlohmann::json reclaim_memcg_parent(const std::string& mount, const std::string& parent, const std::string& mode) {
  nlohmann::json steps = nlohmann::json::array();
  auto step = [&](const std::string& method, const std::string& file, const std::string& value) {
    nlohmann::json s = {{"method", method}, {"file", file}, {"dying_before", count_memcgs(mount).dying}};
    if (access(file.c_str(), W_OK) != 0) {
      s["skipped"] = file + ": " + std::strerror(errno) + " (not offered by this kernel/mode)";
      steps.push_back(s);
      return;
    }
    auto start = std::chrono::steady_clock::now();
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    // memory.reclaim answers EAGAIN when it reclaimed less than asked: still a result.
    bool ok = fd >= 0 && write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    int err = errno;
    if (fd >= 0) close(fd);
    s["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!ok) s["write_error"] = std::strerror(err);
    s["dying_after"] = count_memcgs(mount).dying;
    usleep(1000000);  // dying memcgs are freed from RCU callbacks and workqueues
    s["dying_after_1s"] = count_memcgs(mount).dying;
    steps.push_back(s);
  };
  if (mode == "v2")
    step("memory.reclaim", parent + "/memory.reclaim", "1G");
  else
    step("memory.force_empty", parent + "/memory.force_empty", "0");
  step("drop_caches", "/proc/sys/vm/drop_caches", "1");
  return steps;
}

}  // namespace kreg
