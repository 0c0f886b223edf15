// Tests for scenarios/kernel_files against files captured from real Debian
// kernels (tests/fixtures/README.md). Every expected number below was read
// from the fixture files, so a parser that reads positions instead of keys,
// drops a line or truncates a value fails here.
#include "scenarios/kernel_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kreg {
namespace {

// What each captured boot looks like. -1 means "not applicable / absent".
struct Fixture {
  const char* dir;
  int cgroup;                                 // 1 or 2: hierarchy the memory controller was put on
  bool memcg_files;                           // false: kernel built without memcg v1, nothing captured
  int cgroups_rows;                           // rows in /proc/cgroups
  int64_t memory_num;                         // /proc/cgroups memory num_cgroups; -1: no memory row
  int memory_hier;                            // /proc/cgroups memory hierarchy id
  int64_t nr_dentry, nr_unused, nr_negative;  // dentry-state fields 1, 2, 5
  int64_t slab_kb, percpu_kb, memtotal_kb;    // /proc/meminfo
  int64_t root_file;                          // root memory.stat: v1 total_cache, v2 file (bytes)
  int64_t root_anon;                          // v2 root memory.stat anon; v1 root total_rss
  int64_t live_file;                          // kubepods/live: v1 total_cache, v2 file (bytes)
  int64_t kubepods_dying;                     // v2 kubepods cgroup.stat nr_dying_descendants
};

// gtest prints a parameter it cannot format as raw bytes, which ctest then
// shows in every test name; the folder says it all.
void PrintTo(const Fixture& f, std::ostream* os) { *os << f.dir; }

// clang-format off
const Fixture kFixtures[] = {
  {"5.10.0-32-cloud-amd64-v1",      1, true,  13, 53, 1, 8706,  57, 50, 12436, 872, 1002224, 7299072, 135168, 946176,  -1},
  {"5.10.0-32-cloud-amd64-v2",      2, true,  13, 53, 0, 8708,  58, 50, 12456, 880, 1002224, 7299072, 135168, 946176,  50},
  {"6.1.0-47-cloud-amd64-v1",       1, true,  14, 53, 1, 10473, 56, 50, 16228, 704, 996384,  7667712, 180224, 1048576, -1},
  {"6.1.0-47-cloud-amd64-v2",       2, true,  14, 53, 0, 10475, 58, 50, 16328, 704, 996384,  7667712, 176128, 1048576, 50},
  {"6.12.117+deb13-cloud-amd64-v1", 1, false, 14, 1,  0, 624,   5,  0,  7848,  552, 990916,  -1,      -1,     -1,      -1},
  {"6.12.117+deb13-cloud-amd64-v2", 2, true,  14, 53, 0, 577,   58, 50, 8640,  720, 990916,  7667712, 180224, 1048576, 50},
  {"7.3.4+deb13-cloud-amd64-v1",    1, false, 12, -1, 0, 667,   5,  0,  9268,  528, 985128,  -1,      -1,     -1,      -1},
  {"7.3.4+deb13-cloud-amd64-v2",    2, true,  12, -1, 0, 620,   58, 50, 9424,  576, 985128,  7667712, 180224, 1048576, 0},
};
// clang-format on

std::string fixture_path(const Fixture& f, const std::string& file) {
  return std::string(KREG_SOURCE_DIR "/tests/fixtures/") + f.dir + "/" + file;
}

bool fixture_exists(const Fixture& f, const std::string& file) {
  return std::filesystem::exists(fixture_path(f, file));
}

// Throws (failing the test with the path) rather than returning "" for a
// missing file, so a mistyped name cannot pass as an empty-input test.
std::string read_fixture(const Fixture& f, const std::string& file) {
  const auto path = fixture_path(f, file);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t non_blank_lines(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
  }
  return n;
}

bool is_v2(const Fixture& f) { return f.cgroup == 2; }
std::string major(const Fixture& f) {
  const std::string d = f.dir;
  return d.substr(0, d.find('.'));
}

class KernelFiles : public ::testing::TestWithParam<Fixture> {};

// ---- /proc/cgroups ---------------------------------------------------------

TEST_P(KernelFiles, ProcCgroups) {
  const auto& f = GetParam();
  const auto text = read_fixture(f, "proc__cgroups");
  const auto rows = parse_proc_cgroups(text);
  EXPECT_EQ(rows.size(), static_cast<size_t>(f.cgroups_rows));
  EXPECT_EQ(rows.count("#subsys_name"), 0u);  // header skipped
  ASSERT_EQ(rows.count("pids"), 1u);
  EXPECT_EQ(rows.at("pids").name, "pids");
  EXPECT_TRUE(rows.at("pids").enabled);
  if (f.memory_num < 0) {
    // 7.x hides controllers that cannot be mounted on v1 (memory, cpuset),
    // even though cgroup2 still has them (see cgroup.controllers below).
    EXPECT_EQ(rows.count("memory"), 0u);
    EXPECT_EQ(rows.count("cpuset"), 0u);
  } else {
    ASSERT_EQ(rows.count("memory"), 1u);
    const auto& m = rows.at("memory");
    EXPECT_EQ(m.num_cgroups, f.memory_num);
    EXPECT_EQ(m.hierarchy, f.memory_hier);
    EXPECT_TRUE(m.enabled);
  }
}

// ---- /proc/meminfo ---------------------------------------------------------

TEST_P(KernelFiles, Meminfo) {
  const auto& f = GetParam();
  const auto text = read_fixture(f, "proc__meminfo");
  const auto mi = parse_meminfo_kb(text);
  EXPECT_EQ(mi.size(), non_blank_lines(text));  // every line parsed
  ASSERT_EQ(mi.count("Slab"), 1u);
  ASSERT_EQ(mi.count("Percpu"), 1u);
  EXPECT_EQ(mi.at("Slab"), f.slab_kb);
  EXPECT_EQ(mi.at("Percpu"), f.percpu_kb);
  EXPECT_EQ(mi.at("MemTotal"), f.memtotal_kb);
  EXPECT_EQ(mi.at("Slab"), mi.at("SReclaimable") + mi.at("SUnreclaim"));
  EXPECT_EQ(mi.at("HugePages_Total"), 0);  // the unit-less form
  EXPECT_EQ(mi.at("Hugepagesize"), 2048);
  EXPECT_EQ(mi.at("VmallocTotal"), 34359738367);  // > 2^32
  EXPECT_EQ(mi.count("Active(anon)"), 1u);
  // Keys come and go: Zswap appears in 7.3 only among these kernels.
  EXPECT_EQ(mi.count("Zswap"), major(f) == "7" ? 1u : 0u);
}

// ---- /proc/sys/fs/dentry-state ---------------------------------------------

TEST_P(KernelFiles, DentryState) {
  const auto& f = GetParam();
  const auto d = parse_dentry_state(read_fixture(f, "proc__sys__fs__dentry-state"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->nr_dentry, f.nr_dentry);
  EXPECT_EQ(d->nr_unused, f.nr_unused);
  EXPECT_EQ(d->age_limit, 45);
  EXPECT_EQ(d->want_pages, 0);
  ASSERT_TRUE(d->nr_negative.has_value());
  // 50 where 50 memcgs were created and rmdir'd; 0 where there was no memcg
  // v1 hierarchy to churn (6.12/7.3 -v1).
  EXPECT_EQ(*d->nr_negative, f.nr_negative);
}

// ---- /proc/slabinfo --------------------------------------------------------

TEST_P(KernelFiles, Slabinfo) {
  const auto& f = GetParam();
  const auto text = read_fixture(f, "proc__slabinfo");
  const auto caches = parse_slabinfo(text);
  EXPECT_EQ(caches.size(), non_blank_lines(text) - 2);  // two header lines
  EXPECT_EQ(caches.count("slabinfo"), 0u);
  EXPECT_EQ(caches.count("#"), 0u);
  // Caches kreg's scenarios multiply: present on every kernel here.
  for (const char* name : {"dentry", "proc_inode_cache", "shmem_inode_cache", "net_namespace"}) {
    ASSERT_EQ(caches.count(name), 1u) << name;
    EXPECT_LE(caches.at(name).active_objs, caches.at(name).num_objs) << name;
    EXPECT_GT(caches.at(name).objsize, 0) << name;
  }
  // The dentry cache holds at least the dentries dentry-state counts as in use.
  const auto d = parse_dentry_state(read_fixture(f, "proc__sys__fs__dentry-state"));
  ASSERT_TRUE(d.has_value());
  EXPECT_GE(caches.at("dentry").num_objs, d->nr_dentry - d->nr_unused);
}

// ---- /proc/mounts ----------------------------------------------------------

TEST_P(KernelFiles, Mounts) {
  const auto& f = GetParam();
  const auto text = read_fixture(f, "proc__mounts");
  const auto mounts = parse_mounts(text);
  EXPECT_EQ(mounts.size(), non_blank_lines(text));
  ASSERT_FALSE(mounts.empty());
  EXPECT_EQ(mounts[0].target, "/");
  EXPECT_EQ(mounts[0].fstype, "rootfs");

  std::vector<MountEntry> v1, v2;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup") v1.push_back(m);
    if (m.fstype == "cgroup2") v2.push_back(m);
  }
  if (is_v2(f)) {
    ASSERT_EQ(v2.size(), 1u);
    EXPECT_TRUE(v1.empty());
    EXPECT_EQ(v2[0].target, "/sys/fs/cgroup/unified");
  } else if (f.memcg_files) {
    ASSERT_EQ(v1.size(), 1u);
    EXPECT_TRUE(v2.empty());
    EXPECT_EQ(v1[0].target, "/sys/fs/cgroup/memory");
    EXPECT_NE(v1[0].options.find("memory"), std::string::npos);
  } else {
    // No memcg v1 in this kernel: the v1 memory mount could not be made.
    EXPECT_TRUE(v1.empty());
    EXPECT_TRUE(v2.empty());
  }
}

// ---- memory.stat (v1 and v2) -----------------------------------------------

TEST_P(KernelFiles, MemoryStat) {
  const auto& f = GetParam();
  if (!f.memcg_files) {
    // 6.12/7.3 are built without memcg v1: nothing to capture.
    EXPECT_FALSE(fixture_exists(f, "cg__memory.stat"));
    EXPECT_FALSE(fixture_exists(f, "cg__kubepods__cgroup.stat"));
    return;
  }
  const auto text = read_fixture(f, "cg__memory.stat");
  const auto root = parse_flat_keyed(text);
  EXPECT_EQ(root.size(), non_blank_lines(text));
  const auto live = parse_flat_keyed(read_fixture(f, "cg__kubepods__live__memory.stat"));
  if (is_v2(f)) {
    EXPECT_EQ(root.count("total_cache"), 0u);
    ASSERT_EQ(root.count("anon"), 1u);
    ASSERT_EQ(root.count("file"), 1u);
    EXPECT_EQ(root.at("anon"), f.root_anon);
    EXPECT_EQ(root.at("file"), f.root_file);
    EXPECT_EQ(live.at("file"), f.live_file);
    // "kernel" arrived after 5.10; read keys, not positions.
    EXPECT_EQ(root.count("kernel"), major(f) == "5" ? 0u : 1u);
  } else {
    EXPECT_EQ(root.count("anon"), 0u);
    ASSERT_EQ(root.count("total_cache"), 1u);
    EXPECT_EQ(root.at("total_cache"), f.root_file);
    EXPECT_EQ(root.at("total_rss"), f.root_anon);
    EXPECT_EQ(live.at("total_cache"), f.live_file);
    // PAGE_COUNTER_MAX rounded to pages: must survive as int64.
    EXPECT_EQ(root.at("hierarchical_memory_limit"), 9223372036854771712);
    EXPECT_EQ(live.at("hierarchical_memory_limit"), 9223372036854771712);
  }
}

// ---- memory.numa_stat ------------------------------------------------------

TEST_P(KernelFiles, NumaStat) {
  const auto& f = GetParam();
  if (!f.memcg_files) {
    EXPECT_FALSE(fixture_exists(f, "cg__memory.numa_stat"));
    return;
  }
  const auto text = read_fixture(f, "cg__memory.numa_stat");
  const auto rows = parse_numa_stat(text);
  EXPECT_EQ(rows.size(), non_blank_lines(text));
  const auto stat = parse_flat_keyed(read_fixture(f, "cg__memory.stat"));
  if (is_v2(f)) {
    for (const auto& [name, row] : rows) {
      EXPECT_FALSE(row.total.has_value()) << name;
      EXPECT_EQ(row.per_node.size(), 1u) << name;  // single-node guests
    }
    ASSERT_EQ(rows.count("file"), 1u);
    EXPECT_EQ(rows.at("file").per_node.at(0), stat.at("file"));
    for (const char* cg : {"cg__kubepods__", "cg__kubepods__live__"}) {
      const auto n = parse_numa_stat(read_fixture(f, std::string(cg) + "memory.numa_stat"));
      const auto s = parse_flat_keyed(read_fixture(f, std::string(cg) + "memory.stat"));
      EXPECT_EQ(n.at("file").per_node.at(0), s.at("file")) << cg;
    }
  } else {
    ASSERT_EQ(rows.count("total"), 1u);
    ASSERT_EQ(rows.count("hierarchical_total"), 1u);
    const auto& t = rows.at("total");
    ASSERT_TRUE(t.total.has_value());
    ASSERT_EQ(t.per_node.count(0), 1u);
    EXPECT_EQ(rows.at("anon").total, t.total);  // file=0: all anon (tmpfs)
    const auto& h = rows.at("hierarchical_total");
    ASSERT_TRUE(h.total.has_value());
    EXPECT_EQ(h.per_node.at(0), *h.total);
    if (major(f) == "5") {
      // 5.10 prints a "total" that lags its own N0 column.
      EXPECT_EQ(*t.total, 1584);
      EXPECT_EQ(t.per_node.at(0), 1594);
      EXPECT_EQ(*h.total, 1815);
    } else {
      EXPECT_EQ(*t.total, 1595);
      EXPECT_EQ(t.per_node.at(0), 1595);
      EXPECT_EQ(*h.total, 1901);
    }
    // kubepods/live: 1 MiB of tmpfs = 256 pages on node 0.
    const auto live = parse_numa_stat(read_fixture(f, "cg__kubepods__live__memory.numa_stat"));
    EXPECT_EQ(live.at("total").per_node.at(0), 256);
  }
}

// ---- cgroup.stat (v2) ------------------------------------------------------

TEST_P(KernelFiles, CgroupStat) {
  const auto& f = GetParam();
  if (!is_v2(f)) {
    EXPECT_FALSE(fixture_exists(f, "cg__cgroup.stat"));
    return;
  }
  const auto text = read_fixture(f, "cg__kubepods__cgroup.stat");
  const auto kp = parse_flat_keyed(text);
  EXPECT_EQ(kp.size(), non_blank_lines(text));
  EXPECT_EQ(kp.at("nr_descendants"), 1);
  EXPECT_EQ(kp.at("nr_dying_descendants"), f.kubepods_dying);
  const auto root = parse_flat_keyed(read_fixture(f, "cg__cgroup.stat"));
  EXPECT_EQ(root.at("nr_descendants"), 2);
  EXPECT_EQ(root.at("nr_dying_descendants"), f.kubepods_dying);
  const auto live = parse_flat_keyed(read_fixture(f, "cg__kubepods__live__cgroup.stat"));
  EXPECT_EQ(live.at("nr_descendants"), 0);
  EXPECT_EQ(live.at("nr_dying_descendants"), 0);
  // Per-controller counts exist from 6.12 on (not only 7.3).
  const bool subsys = major(f) == "7" || std::string(f.dir).rfind("6.12", 0) == 0;
  EXPECT_EQ(kp.count("nr_subsys_memory"), subsys ? 1u : 0u);
  EXPECT_EQ(kp.count("nr_dying_subsys_memory"), subsys ? 1u : 0u);
  if (subsys) {
    EXPECT_EQ(kp.at("nr_subsys_memory"), 2);
    EXPECT_EQ(kp.at("nr_dying_subsys_memory"), f.kubepods_dying);
  }
}

std::string fixture_name(const ::testing::TestParamInfo<Fixture>& info) {
  std::string s = info.param.dir;
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, KernelFiles, ::testing::ValuesIn(kFixtures), fixture_name);

TEST(KernelFilesFixtures, AllFoldersListed) {
  // A fixture folder added on disk but not to kFixtures would go untested.
  size_t dirs = 0;
  for (const auto& e : std::filesystem::directory_iterator(KREG_SOURCE_DIR "/tests/fixtures")) {
    // configs/ holds kernel config extracts (kernel_features_test), runs/ real run
    // records (compare and report tests), not captures.
    if (!e.is_directory() || e.path().filename() == "configs" || e.path().filename() == "runs") continue;
    ++dirs;
    const auto name = e.path().filename().string();
    EXPECT_TRUE(std::any_of(std::begin(kFixtures), std::end(kFixtures), [&](const Fixture& f) {
      return name == f.dir;
    })) << name;
  }
  EXPECT_EQ(dirs, std::size(kFixtures));
}

}  // namespace
}  // namespace kreg
