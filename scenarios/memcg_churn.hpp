// memcg-dying generator: the container runtime's memcg life cycle, one
// cgroup at a time. Each step: mkdir a memcg, start a task and move it in,
// the task writes page cache (a file on tmpfs) and exits, rmdir. The pages
// stay charged to the removed memcg, so the kernel keeps it as "dying".
#pragma once

#include <cstddef>
#include <string>

namespace kreg {

struct MemcgChurnOptions {
  std::string parent = "kreg";                   // churned memcgs live under <mount>/<parent>/
  std::string page_cache_dir = "/tmp/kreg-pagecache";  // must be on tmpfs (or a real fs) in the guest
  size_t page_cache_bytes = 4096;                // written by each cgroup's task; 0 = none
};

class MemcgChurner {
 public:
  // Creates the parent cgroup and the page-cache directory. Throws
  // std::runtime_error naming what is missing (no memory hierarchy, ...).
  explicit MemcgChurner(MemcgChurnOptions options);

  // One full life cycle (realistic way: fork a child per cgroup, as runtimes
  // do). Throws std::runtime_error on any kernel error; ENOSPC/ENOMEM from
  // mkdir surface here with the cgroup name.
  void churn_one();

  size_t churned() const { return churned_; }
  const std::string& mount_point() const { return mount_; }

 private:
  MemcgChurnOptions options_;
  std::string mount_;
  size_t churned_ = 0;
};

}  // namespace kreg
