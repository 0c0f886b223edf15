#include "scenarios/close_fds.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace kreg {

void close_fds(unsigned first, unsigned last) {
  if (first > last || close_range(first, last, 0) == 0 || errno != ENOSYS) return;
  if (last - first < 64) {  // a short range: closing each is cheaper than listing
    for (unsigned fd = first; fd <= last; ++fd) close(static_cast<int>(fd));
    return;
  }
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    rlimit lim{};
    unsigned end = getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < (1u << 20) ? lim.rlim_cur : 1u << 20;
    for (unsigned fd = first; fd <= last && fd < end; ++fd) close(static_cast<int>(fd));
    return;
  }
  struct Dirent64 {  // the kernel's linux_dirent64
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[1];
  };
  alignas(8) char buf[4096];
  // procfs lists fds by number from the directory offset on: closing the
  // ones already listed does not make it skip any.
  for (long n; (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0;) {
    for (long at = 0; at < n;) {
      const auto* d = reinterpret_cast<const Dirent64*>(buf + at);
      at += d->reclen;
      unsigned fd = 0;
      bool number = d->name[0] != '\0';
      for (const char* c = d->name; *c && number; ++c) {
        number = *c >= '0' && *c <= '9';
        fd = fd * 10 + static_cast<unsigned>(*c - '0');
      }
      if (number && fd >= first && fd <= last && static_cast<int>(fd) != dir) close(static_cast<int>(fd));
    }
  }
  close(dir);
}

}  // namespace kreg
