#include "harness/store/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace kreg {

namespace {

// The holder writes its PID right after locking; a reader that comes in
// between sees an empty file for a moment, so it looks a few times.
pid_t read_owner(int fd) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    char text[32] = {};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n > 0) {
      long pid = std::strtol(text, nullptr, 10);
      if (pid > 0) return static_cast<pid_t>(pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return 0;
}

}  // namespace

RunLock::RunLock(const std::string& run_dir) {
  const std::string path = run_dir + "/run.lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw KregError("cannot open " + path + ": " + std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    pid_t owner = saved == EWOULDBLOCK ? read_owner(fd_) : 0;
    close(fd_);
    fd_ = -1;
    if (saved != EWOULDBLOCK) throw KregError("cannot lock " + path + ": " + std::strerror(saved));
    throw RunInUse(run_dir, owner);
  }
  // Ours now: say who we are (for the error another kreg prints).
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // A full disk: the lock still holds; only the PID in the message is lost.
  }
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

}  // namespace kreg
