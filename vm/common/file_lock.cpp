#include "vm/common/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "vm/common/error.hpp"

namespace kreg {

FileLock::FileLock(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw KregError("cannot create " + path + ": " + std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  // Another kreg holds it (a kernel build can hold a source workspace for
  // many minutes): say what we wait for instead of hanging silently.
  std::fprintf(stderr, "kreg: waiting for %s: another kreg process holds it (a build or fetch of the same source)\n",
               path.c_str());
  while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

FileLock::~FileLock() { close(fd_); }

}  // namespace kreg
