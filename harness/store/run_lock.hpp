// One owner per run directory: an exclusive flock(2) on <run>/run.lock,
// held for as long as the owning kreg lives. The kernel drops it when the
// process dies, however it dies, so a crashed owner never blocks a resume;
// QEMU never inherits it (spawn_process closes kreg's descriptors).
#pragma once

#include <sys/types.h>

#include <string>

#include "vm/common/error.hpp"

namespace kreg {

// Thrown when another process holds the lock.
class RunInUse : public KregError {
 public:
  RunInUse(const std::string& run_dir, pid_t owner)
      : KregError("run " + run_dir + " is in use by kreg PID " + std::to_string(owner)),
        run_dir_(run_dir),
        owner_(owner) {}
  const std::string& run_dir() const { return run_dir_; }
  pid_t owner() const { return owner_; }  // 0 if it could not be told

 private:
  std::string run_dir_;
  pid_t owner_;
};

class RunLock {
 public:
  RunLock() = default;
  // Takes the lock without waiting and writes this process's PID into the
  // file; throws RunInUse naming the holder, or KregError if the file cannot
  // be opened.
  explicit RunLock(const std::string& run_dir);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

 private:
  int fd_ = -1;
};

}  // namespace kreg
