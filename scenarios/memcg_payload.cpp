#include "scenarios/memcg_payload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kreg {

namespace {
char block[65536];
}  // namespace

void memcg_payload_prepare() {
  if (block[0] == 0) std::memset(block, 'k', sizeof block);
}

int memcg_payload(const char* file, size_t bytes, const char* kobject_dir, int kobjects) {
  if (bytes > 0) {
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    memcg_payload_prepare();
    for (size_t left = bytes; left > 0;) {
      size_t n = left < sizeof block ? left : sizeof block;
      if (write(fd, block, n) != static_cast<ssize_t>(n)) {
        int err = errno;
        close(fd);
        return err;
      }
      left -= n;
    }
    close(fd);
  }
  if (kobjects > 0) {
    if (mkdir(kobject_dir, 0755) != 0 && errno != EEXIST) return errno;
    char path[4096];
    struct stat st;
    for (int i = 0; i < kobjects; ++i) {
      std::snprintf(path, sizeof path, "%s/%d", kobject_dir, i);
      int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return errno;
      close(fd);
      if (stat(path, &st) != 0) return errno;
    }
  }
  return 0;
}

}  // namespace kreg
