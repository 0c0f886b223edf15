// scenarios/kernel_files on input no kernel wrote: empty text, garbage
// lines, numbers at and past the int64 limit, odd shapes. Parsers skip what
// they cannot read and keep the rest; they never throw.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "scenarios/kernel_files.hpp"

namespace kreg {
namespace {
// ---- malformed input -------------------------------------------------------

TEST(KernelFilesMalformed, EmptyInputGivesEmptyResults) {
  for (const std::string_view t : {"", "\n", "  \n\t\n\r\n"}) {
    EXPECT_TRUE(parse_proc_cgroups(t).empty());
    EXPECT_TRUE(parse_meminfo_kb(t).empty());
    EXPECT_TRUE(parse_flat_keyed(t).empty());
    EXPECT_TRUE(parse_numa_stat(t).empty());
    EXPECT_FALSE(parse_dentry_state(t).has_value());
    EXPECT_TRUE(parse_mounts(t).empty());
  }
}

TEST(KernelFilesMalformed, GarbageLinesSkippedValidKept) {
  const std::string junk = "\x01\xff garbage ::== \\\\ N0= =5\n=\n:\n";
  const auto kv = parse_flat_keyed(junk + "a 1\nb\nc 2 3\nd x\ne 12kB\nf 4   \r\n\n");
  EXPECT_EQ(kv, (std::map<std::string, int64_t>{{"a", 1}, {"f", 4}}));

  const auto mi = parse_meminfo_kb(junk +
                                   "MemTotal:  100 kB\nNoColon 5 kB\n: 7 kB\nBig: 3 MB\n"
                                   "X: 1 kB extra\nY: abc kB\nHugePages_Free:   3\nZ:\n");
  EXPECT_EQ(mi, (std::map<std::string, int64_t>{{"MemTotal", 100}, {"HugePages_Free", 3}}));

  const auto cg = parse_proc_cgroups(junk +
                                     "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                     "memory\t1\t53\t1\nshort 1 2\nbad x 1 1\nextra 0 1 1 9\n#old 0 1 1\n"
                                     "  cpu 0   7 0  \n");
  ASSERT_EQ(cg.size(), 2u);
  EXPECT_EQ(cg.at("memory").num_cgroups, 53);
  EXPECT_EQ(cg.at("cpu").num_cgroups, 7);
  EXPECT_FALSE(cg.at("cpu").enabled);

  const auto ns = parse_numa_stat(junk +
                                  "total=1595 N0=1595 N1=3\nanon N0=1234 N1=5\nfile=x N0=1\n"
                                  "shmem N0=1 junk\nbare\nzz Nx=1\nneg N-1=2\n=5 N0=1\n"
                                  "unevictable=7\n");
  ASSERT_EQ(ns.size(), 3u);
  EXPECT_EQ(ns.at("total").total, 1595);
  EXPECT_EQ(ns.at("total").per_node, (std::map<int, int64_t>{{0, 1595}, {1, 3}}));
  EXPECT_FALSE(ns.at("anon").total.has_value());
  EXPECT_EQ(ns.at("anon").per_node, (std::map<int, int64_t>{{0, 1234}, {1, 5}}));
  EXPECT_EQ(ns.at("unevictable").total, 7);  // v1 total with no node columns
  EXPECT_TRUE(ns.at("unevictable").per_node.empty());

  const auto mounts = parse_mounts(junk + "a b c\nproc /proc proc rw 0 0\n");
  ASSERT_EQ(mounts.size(), 2u);  // the junk line has 6 fields, so it is kept
  EXPECT_EQ(mounts[1].fstype, "proc");
}

TEST(KernelFilesMalformed, HugeNumbers) {
  const auto kv = parse_flat_keyed(
      "limit 9223372036854771712\nmax 9223372036854775807\n"
      "over 9223372036854775808\nwrapped 18446744073709551615\nneg -5\n");
  EXPECT_EQ(kv.at("limit"), 9223372036854771712);
  EXPECT_EQ(kv.at("max"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(kv.count("over"), 0u);  // does not fit: skipped, not clamped
  EXPECT_EQ(kv.count("wrapped"), 0u);
  EXPECT_EQ(kv.at("neg"), -5);

  EXPECT_EQ(parse_meminfo_kb("Huge: 99999999999999999999 kB\n").count("Huge"), 0u);
  EXPECT_EQ(parse_proc_cgroups("memory 99999999999 1 1\n").count("memory"), 0u);  // int
  EXPECT_EQ(parse_numa_stat("anon N0=99999999999999999999\n").count("anon"), 0u);
  EXPECT_EQ(parse_numa_stat("anon N99999999999=1\n").count("anon"), 0u);
  EXPECT_FALSE(parse_dentry_state("1 2 3 99999999999999999999 0 0").has_value());
}

TEST(KernelFilesMalformed, DentryStateShapes) {
  EXPECT_FALSE(parse_dentry_state("1 2 3").has_value());
  EXPECT_FALSE(parse_dentry_state("garbage").has_value());
  EXPECT_FALSE(parse_dentry_state("1 2 x 4 5 6").has_value());

  const auto four = parse_dentry_state("1 2 3 4\n");
  ASSERT_TRUE(four.has_value());
  EXPECT_EQ(four->want_pages, 4);
  EXPECT_FALSE(four->nr_negative.has_value());

  const auto junk_tail = parse_dentry_state("1\t2\t3\t4\t5 junk 6");
  ASSERT_TRUE(junk_tail.has_value());
  EXPECT_EQ(junk_tail->nr_negative, 5);

  // Only the first line counts.
  EXPECT_FALSE(parse_dentry_state("1 2 3\n4 5 6\n").has_value());
}

TEST(KernelFilesMalformed, MountsOctalEscapes) {
  const auto m = parse_mounts(
      "/dev/sda1 /mnt/my\\040disk ext4 rw,relatime 0 0\n"
      "tab\\011src /a\\134b\\012c tmpfs rw\n"
      "x /bad\\9 /end\\04 \\ tmpfs\n"
      "too few\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].source, "/dev/sda1");
  EXPECT_EQ(m[0].target, "/mnt/my disk");
  EXPECT_EQ(m[0].fstype, "ext4");
  EXPECT_EQ(m[0].options, "rw,relatime");
  EXPECT_EQ(m[1].source, "tab\tsrc");
  EXPECT_EQ(m[1].target, "/a\\b\nc");
  EXPECT_EQ(m[1].options, "rw");      // dump/pass are optional
  EXPECT_EQ(m[2].target, "/bad\\9");  // not an escape: kept literally
  EXPECT_EQ(m[2].fstype, "/end\\04");
  EXPECT_EQ(m[2].options, "\\");
}

TEST(KernelFilesMalformed, RequireParsed) {
  EXPECT_THROW(require_parsed(parse_flat_keyed(""), "memory.stat"), std::runtime_error);
  try {
    require_parsed(parse_numa_stat("junk\n"), "/sys/fs/cgroup/memory.numa_stat");
    ADD_FAILURE() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/sys/fs/cgroup/memory.numa_stat"), std::string::npos);
  }
  EXPECT_THROW(require_parsed(parse_dentry_state("1 2"), "dentry-state"), std::runtime_error);
  EXPECT_THROW(require_parsed(parse_mounts("x\n"), "mounts"), std::runtime_error);
  EXPECT_EQ(require_parsed(parse_flat_keyed("a 1\n"), "x").at("a"), 1);
  EXPECT_EQ(require_parsed(parse_dentry_state("1 2 3 4 5 6"), "x")->nr_negative, 5);
}

}  // namespace
}  // namespace kreg
