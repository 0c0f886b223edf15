#include "vm/guest/boot_timing.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

namespace kreg::guest {

double boottime_s() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

nlohmann::json kernel_boot_markers(const std::string& kmsg_records) {
  // The first record holding each text; 4.19 logs no "Run /init" line.
  static const std::pair<const char*, const char*> kMarkers[] = {
      {"initramfs_unpack_start", "Trying to unpack rootfs image as initramfs"},
      {"initramfs_unpack_start", "Unpacking initramfs"},
      {"initramfs_unpack_end", "Freeing initrd memory"},
      {"run_init", "Run /init as init process"},
  };
  nlohmann::json out = nlohmann::json::object();
  std::istringstream in(kmsg_records);
  for (std::string line; std::getline(in, line);) {
    const size_t semi = line.find(';');
    if (semi == std::string::npos) continue;  // a continuation line (" KEY=value")
    const size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string::npos || c2 > semi) continue;
    const std::string text = line.substr(semi + 1);
    for (const auto& [key, needle] : kMarkers) {
      if (out.contains(key) || text.find(needle) == std::string::npos) continue;
      try {
        out[key] = std::stod(line.substr(c2 + 1, semi - c2 - 1)) * 1e-6;
      } catch (const std::exception&) {
      }
    }
  }
  return out;
}

nlohmann::json BootTiming::report() const {
  // /dev/kmsg hands out one record per read(); non-blocking, so reading
  // stops at the end of the buffer instead of waiting for new messages.
  std::string records;
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    char buf[8192];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EPIPE);)
      if (n > 0) records.append(buf, static_cast<size_t>(n));  // EPIPE: a record was overwritten, go on
    close(fd);
  }
  return {{"kernel", kernel_boot_markers(records)}, {"agent", agent_}};
}

}  // namespace kreg::guest
