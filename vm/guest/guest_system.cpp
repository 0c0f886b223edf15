#include "vm/guest/guest_system.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "scenarios/memcg_counts.hpp"

namespace kreg::guest {

namespace {
bool mount_one(const char* source, const char* target, const char* fstype, const char* data) {
  mkdir(target, 0755);
  if (mount(source, target, fstype, 0, data) == 0 || errno == EBUSY) return true;
  std::fprintf(stderr, "kreg-agent: mount %s on %s: %s\n", fstype, target, std::strerror(errno));
  return false;
}
}  // namespace

void mount_basics() {
  mount_one("proc", "/proc", "proc", nullptr);
  mount_one("sysfs", "/sys", "sysfs", nullptr);
  mount_one("devtmpfs", "/dev", "devtmpfs", nullptr);
  mount_one("tmpfs", "/tmp", "tmpfs", "mode=1777");
  // The kernel opened /dev/console for us only if the initramfs had one;
  // devtmpfs has it now, so make fds 0-2 point at the serial console.
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd >= 0) {
    for (int target = 0; target <= 2; ++target) dup2(fd, target);
    if (fd > 2) close(fd);
  }
}

void reap_orphans() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

void power_off() {
  sync();
  reboot(RB_POWER_OFF);
  // reboot() only returns on failure; PID 1 must not exit, so wait to be killed.
  for (;;) pause();
}

std::string kernel_cmdline() {
  try {
    std::string text = read_text_file("/proc/cmdline");
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace kreg::guest
