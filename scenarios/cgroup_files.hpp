// The memory controller's files by their cgroup v2 names, with the v1 file
// that holds the same quantity (LTP's tst_cgroup.c keeps the same table), so
// each quantity gets one metric name in both modes and compare and the plots
// pair v1 with v2.
#pragma once

#include <optional>
#include <string>

namespace kreg {

struct CgroupFile {
  const char* v2;  // e.g. "memory.current"
  const char* v1;  // e.g. "memory.usage_in_bytes"; nullptr: v1 has no such file
};

inline constexpr CgroupFile kCgroupFiles[] = {
    {"memory.current", "memory.usage_in_bytes"},
    {"memory.max", "memory.limit_in_bytes"},
    {"memory.stat", "memory.stat"},
    {"memory.numa_stat", "memory.numa_stat"},
    {"memory.events", nullptr},  // v1 counts OOMs in memory.oom_control, another format
    {"cgroup.stat", nullptr},    // nr_dying_descendants: v2 only
    {"cgroup.procs", "cgroup.procs"},
};

// The file that holds `v2_name`'s quantity in `mode` ("v1" or "v2"), or
// nothing when that mode has none. Throws std::invalid_argument for a name
// the table lacks: a new file is added here first.
std::optional<std::string> cgroup_file(const std::string& v2_name, const std::string& mode);

}  // namespace kreg
