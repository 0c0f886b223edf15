// How many memcgs exist, as the kernel counts them, versus how many a user
// can see. The difference is the dying (removed but not freed) memcgs.
#pragma once

#include <cstdint>
#include <string>

namespace kreg {

struct MemcgCounts {
  int64_t num_cgroups = -1;  // all memcgs the kernel holds, incl. root and dying; -1 if unknown
  int64_t visible = 0;       // directories under the memory hierarchy, incl. its root
  int64_t dying = -1;        // -1 if unknown
  std::string dying_source;  // "proc_cgroups" or "cgroup.stat" (7.x drops memory from /proc/cgroups)
};

// Reads /proc/cgroups (or, where it has no memory row, the root's cgroup.stat
// on cgroup v2) and walks `memory_mount` for visible directories.
MemcgCounts count_memcgs(const std::string& memory_mount);

// Whole file as text; throws std::runtime_error naming the path on failure.
std::string read_text_file(const std::string& path);

}  // namespace kreg
