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

#include "tests/unit/kernel_fixtures.hpp"

namespace kreg::test {
namespace {

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

// The TEST_Ps of kernel_files_cgroup_test.cpp run on these fixtures too.
INSTANTIATE_TEST_SUITE_P(Fixtures, KernelFiles, ::testing::ValuesIn(kFixtures), fixture_name);

TEST(KernelFilesFixtures, AllFoldersListed) {
  // A fixture folder added on disk but not to kFixtures would go untested.
  size_t dirs = 0;
  for (const auto& e : std::filesystem::directory_iterator(KREG_SOURCE_DIR "/tests/fixtures")) {
    // configs/ holds kernel config extracts (kernel_features_test), runs/ real run
    // records (compare and report tests), source/ kernel source extracts
    // (source_build_test), not captures.
    const auto dir = e.path().filename();
    if (!e.is_directory() || dir == "configs" || dir == "runs" || dir == "source") continue;
    ++dirs;
    const auto name = e.path().filename().string();
    EXPECT_TRUE(std::any_of(std::begin(kFixtures), std::end(kFixtures), [&](const Fixture& f) {
      return name == f.dir;
    })) << name;
  }
  EXPECT_EQ(dirs, std::size(kFixtures));
}

}  // namespace
}  // namespace kreg::test
