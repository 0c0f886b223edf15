// Tests for scenarios/kernel_files' cgroupfs parsers (memory.stat,
// memory.numa_stat, cgroup.stat) against the captured fixtures; instantiated
// with kernel_files_test.cpp's fixture list.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "scenarios/kernel_files.hpp"
#include "tests/unit/kernel_fixtures.hpp"

namespace kreg::test {
namespace {

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

}  // namespace
}  // namespace kreg::test
