// An exclusive flock on a file for as long as the object lives: two kreg
// processes resolving the same apt suite or building in the same source
// workspace take turns instead of corrupting each other's state.
#pragma once

#include <string>

namespace kreg {

class FileLock {
 public:
  // Creates `path` (and its directory) if needed and waits for the lock.
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace kreg
