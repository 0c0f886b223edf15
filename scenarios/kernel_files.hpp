// Parsers for the text files the kernel exposes under /proc and cgroupfs.
// They read keys, never positions: fields move between kernel versions
// (e.g. 7.x drops the memory row from /proc/cgroups, 5.10 and 6.x differ in
// memory.stat keys). Every parser takes the file's text and never touches
// the filesystem, so the unit tests feed them captured fixtures.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kreg {

// One row of /proc/cgroups.
struct CgroupSubsys {
  std::string name;
  int hierarchy = 0;
  int64_t num_cgroups = 0;
  bool enabled = false;
};

// Rows of /proc/cgroups keyed by subsystem name. Lines that are not
// "name hierarchy num enabled" are skipped (the header starts with '#').
std::map<std::string, CgroupSubsys> parse_proc_cgroups(std::string_view text);

// /proc/meminfo values, in kB as the kernel prints them ("Slab: 1234 kB").
std::map<std::string, int64_t> parse_meminfo_kb(std::string_view text);

// "key value" per line files: v1/v2 memory.stat, cgroup.stat.
std::map<std::string, int64_t> parse_flat_keyed(std::string_view text);

// memory.numa_stat. v1 lines look like "total=1595 N0=1595"; v2 lines look
// like "anon N0=1234". Each row maps to its total (v1 only) and per-node values.
struct NumaStatRow {
  std::optional<int64_t> total;     // v1 prints "name=N"; v2 has no total
  std::map<int, int64_t> per_node;  // node id -> value
};
std::map<std::string, NumaStatRow> parse_numa_stat(std::string_view text);

// /proc/sys/fs/dentry-state: six numbers on every kernel. nr_negative is
// the fifth since 5.0; before 5.0 that slot was a dummy that always read 0,
// so 0 there is ambiguous on old kernels. nr_negative is empty only when the
// text has just four numbers; fewer than four gives nullopt.
struct DentryState {
  int64_t nr_dentry = 0;
  int64_t nr_unused = 0;
  int64_t age_limit = 0;
  int64_t want_pages = 0;
  std::optional<int64_t> nr_negative;
};
std::optional<DentryState> parse_dentry_state(std::string_view text);

// One cache of /proc/slabinfo (version 2.1): "name active num objsize ...".
struct SlabCache {
  int64_t active_objs = 0;
  int64_t num_objs = 0;
  int64_t objsize = 0;
};
std::map<std::string, SlabCache> parse_slabinfo(std::string_view text);

// One line of /proc/mounts.
struct MountEntry {
  std::string source, target, fstype, options;
};
std::vector<MountEntry> parse_mounts(std::string_view text);

// Throws std::runtime_error naming `what` when the text is not parseable at all
// (empty, or no line matched); parsers above return empty containers instead.
// Wrap a parser's result: require_parsed(parse_flat_keyed(text), path).
template <class Parsed>
Parsed require_parsed(Parsed parsed, std::string_view what) {
  bool nothing;
  if constexpr (requires { parsed.has_value(); }) {
    nothing = !parsed.has_value();  // std::optional (dentry-state)
  } else {
    nothing = parsed.empty();  // map / vector
  }
  if (nothing) {
    throw std::runtime_error(std::string(what) + ": not parseable (empty, or no line matched)");
  }
  return parsed;
}
}  // namespace kreg
