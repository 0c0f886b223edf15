// dentry-negative against the real kernel and a real filesystem. Needs a
// disk-backed temp dir: tmpfs never keeps negative dentries.
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "scenarios/dentry_negative_generator.hpp"

namespace fs = std::filesystem;
using kreg::GeneratorContext;
using kreg::make_generator;

namespace {

bool on_tmpfs(const char* path) {
  struct statfs s;
  return statfs(path, &s) == 0 && (s.f_type == TMPFS_MAGIC || s.f_type == RAMFS_MAGIC);
}

std::optional<int64_t> counter(const nlohmann::json& m, const char* key) {
  if (!m.contains(key)) return std::nullopt;
  return m[key].get<int64_t>();
}

class DentryNegativeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // /tmp as asked; /var/tmp where /tmp is a tmpfs (it would keep nothing).
    std::string tmpl = std::string(on_tmpfs("/tmp") ? "/var/tmp" : "/tmp") + "/kreg-dn-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    ctx_.scratch_dir = tmpl;
    ctx_.local = true;
  }
  void TearDown() override { fs::remove_all(ctx_.scratch_dir); }

  std::string what_of(const nlohmann::json& params) {
    try {
      make_generator("dentry-negative", params, ctx_);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no exception)";
  }

  GeneratorContext ctx_;
};

TEST_F(DentryNegativeTest, LookupLeavesNegativeDentries) {
  auto gen = make_generator("dentry-negative", {{"mode", "lookup"}}, ctx_);
  EXPECT_EQ(gen->object_name(), "negative dentries");
  const auto before = gen->measure();
  int64_t last_tick = -1;
  gen->advance_to(20000, [&](int64_t n) { last_tick = n; });
  const auto after = gen->measure();
  EXPECT_EQ(gen->created(), 20000);
  EXPECT_EQ(last_tick, 20000);
  EXPECT_EQ(after["negative_names_created"], 20000);
  ASSERT_TRUE(counter(after, "dentry_nr_dentry"));
  // Every kernel since 5.0 counts negative dentries (dentry-state's fifth
  // field); without the counter the main check below cannot be made at all.
  ASSERT_TRUE(counter(before, "dentry_nr_negative")) << "no nr_negative in /proc/sys/fs/dentry-state: " << before;
  ASSERT_TRUE(counter(after, "dentry_nr_negative")) << after;
  // 20,000 new negatives; 5,000 of slack. dentry-state is global: host
  // memory pressure can shrink the dcache under the test, so a fresh
  // directory gets up to two more tries. No negatives at all fails all three.
  int64_t grown = *counter(after, "dentry_nr_negative") - *counter(before, "dentry_nr_negative");
  for (int retry = 0; retry < 2 && grown < 15000; ++retry) {
    auto again =
        make_generator("dentry-negative", {{"mode", "lookup"}, {"dir", "retry" + std::to_string(retry)}}, ctx_);
    const auto b2 = again->measure();
    again->advance_to(20000, {});
    grown = *counter(again->measure(), "dentry_nr_negative") - *counter(b2, "dentry_nr_negative");
  }
  EXPECT_GE(grown, 15000) << before << " -> " << after;
  const std::string dir = ctx_.scratch_dir + "/dentry-negative";
  const double ns = kreg::time_negative_lookup_ns(dir, 1001);
  EXPECT_GT(ns, 0);
  EXPECT_THROW(kreg::time_negative_lookup_ns(dir, 0), std::invalid_argument);
}

TEST_F(DentryNegativeTest, CreateUnlinkLeavesEmptyDirAndMoreDentries) {
  auto gen = make_generator("dentry-negative", {{"mode", "create-unlink"}, {"dir", "cu"}}, ctx_);
  const auto before = gen->measure();
  gen->advance_to(5000, {});
  const auto after = gen->measure();
  EXPECT_EQ(gen->created(), 5000);
  EXPECT_TRUE(fs::is_empty(ctx_.scratch_dir + "/cu"));
  int64_t grown = *counter(after, "dentry_nr_dentry") - *counter(before, "dentry_nr_dentry");
  for (int retry = 0; retry < 2 && grown < 3500; ++retry) {  // global counter: see the lookup test
    auto again =
        make_generator("dentry-negative", {{"mode", "create-unlink"}, {"dir", "cu" + std::to_string(retry)}}, ctx_);
    const auto b2 = again->measure();
    again->advance_to(5000, {});
    grown = *counter(again->measure(), "dentry_nr_dentry") - *counter(b2, "dentry_nr_dentry");
  }
  EXPECT_GE(grown, 3500) << before << " -> " << after;
}

TEST_F(DentryNegativeTest, BothAlternatesAndStaysEmpty) {
  auto gen = make_generator("dentry-negative", {{"mode", "both"}, {"dir", "both"}}, ctx_);
  gen->advance_to(999, {});
  gen->advance_to(2000, {});
  EXPECT_EQ(gen->created(), 2000);
  EXPECT_TRUE(fs::is_empty(ctx_.scratch_dir + "/both"));
  EXPECT_GT(kreg::time_negative_lookup_ns(ctx_.scratch_dir + "/both", 2000), 0);  // both kinds are negative
}

TEST_F(DentryNegativeTest, InvalidParamsNameTheKey) {
  EXPECT_NE(what_of({{"mode", "x"}}).find("'mode'"), std::string::npos);
  const std::string file = ctx_.scratch_dir + "/plain-file";
  std::ofstream(file) << "x";
  EXPECT_NE(what_of({{"dir", file}}).find("'dir'"), std::string::npos);
  EXPECT_NE(what_of({{"dir", "a/../../escape"}}).find("'dir'"), std::string::npos);
  EXPECT_NE(what_of({{"dir", 7}}).find("'dir'"), std::string::npos);
  if (on_tmpfs("/dev/shm")) {
    EXPECT_NE(what_of({{"dir", "/dev/shm/kreg-dn-never"}}).find("'dir'"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists("/dev/shm/kreg-dn-never"));  // rejected after mkdir: undone
}

TEST_F(DentryNegativeTest, CleanupRemovesOnlyWhatItCreated) {
  const std::string dir = ctx_.scratch_dir + "/made/deeper";
  auto gen = make_generator("dentry-negative", {{"mode", "create-unlink"}, {"dir", "made/deeper"}}, ctx_);
  gen->advance_to(100, {});
  // A leftover from an interrupted create-unlink step, named as ours.
  std::ofstream(dir + "/n0000000100") << "";
  gen->cleanup();
  EXPECT_FALSE(fs::exists(ctx_.scratch_dir + "/made"));
  gen->cleanup();  // idempotent
  EXPECT_THROW(gen->advance_to(200, {}), std::logic_error);

  fs::create_directory(ctx_.scratch_dir + "/mine");
  auto keep = make_generator("dentry-negative", {{"dir", "mine"}}, ctx_);
  keep->advance_to(10, {});
  keep->cleanup();
  EXPECT_TRUE(fs::is_directory(ctx_.scratch_dir + "/mine"));  // not ours to remove
}

// A million lookups (speed against bench/raw/dentry_negative_raw.c is
// `kreg run speed`'s figure): a million names made, the kernel's negative
// dentry count grows by most of them, and cleanup's rmdir takes them out of
// the dcache again. dentry-state is global: 250,000 of slack either way.
TEST_F(DentryNegativeTest, MillionLookupsAreCountedByTheKernelAndCleanupPrunesThem) {
  constexpr int64_t kOps = 1'000'000;
  auto gen = make_generator("dentry-negative", {{"dir", "million"}}, ctx_);
  const auto before = gen->measure();
  gen->advance_to(kOps, {});
  const auto after = gen->measure();
  EXPECT_EQ(gen->created(), kOps);
  EXPECT_EQ(after["negative_names_created"], kOps);
  ASSERT_TRUE(counter(before, "dentry_nr_negative")) << before;
  const int64_t made = *counter(after, "dentry_nr_negative") - *counter(before, "dentry_nr_negative");
  EXPECT_GE(made, kOps * 3 / 4) << before << " -> " << after;
  gen->cleanup();
  EXPECT_FALSE(fs::exists(ctx_.scratch_dir + "/million"));
  const auto cleaned = gen->measure();
  const int64_t pruned = *counter(after, "dentry_nr_negative") - *counter(cleaned, "dentry_nr_negative");
  EXPECT_GE(pruned, kOps * 3 / 4) << after << " -> " << cleaned;
}

}  // namespace
