// kreg bisect's bad input: each a one-line error, exit 2, before anything
// slow (no apt, no build, no VM: the results directory stays empty).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;

// A git history of three commits that is not a kernel tree.
struct SmallRepo {
  TempDir dir;
  SmallRepo() {
    git({"init", "-q"});
    for (const char* text : {"one", "two", "three"}) {
      std::ofstream(dir.path + "/README") << text << "\n";
      git({"add", "README"});
      git({"-c", "user.name=kreg test", "-c", "user.email=kreg@test", "commit", "-q", "-m", text});
    }
  }
  void git(std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", dir.path});
    CapturedRun r = run_captured(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

CapturedRun bisect(const TempDir& results, std::vector<std::string> args) {
  args.insert(args.begin(), {"bisect", "--results", results.path + "/results", "--cache", results.path + "/cache"});
  return run_kreg(args);
}

void expect_nothing_started(const TempDir& results) {
  EXPECT_FALSE(fs::exists(results.path + "/results")) << "a bisect directory was created";
  EXPECT_FALSE(fs::exists(results.path + "/cache/apt")) << "apt was asked";
}

TEST(CliBisect, RevisionThatDoesNotExist) {
  SmallRepo repo;
  TempDir out;
  CapturedRun r = bisect(out, {"--job", "netns/dead", "--repo", repo.dir.path, "--good", "HEAD~2", "--bad", "v9.9"});
  expect_one_line_error(r, "revision 'v9.9' does not exist");
  expect_nothing_started(out);
}

TEST(CliBisect, GoodAndBadSwapped) {
  SmallRepo repo;
  TempDir out;
  expect_one_line_error(
      bisect(out, {"--job", "netns/dead", "--repo", repo.dir.path, "--good", "HEAD", "--bad", "HEAD~2"}), "swapped");
  // Packaged: a Debian range written backwards, and --good after --bad in a list of files.
  expect_one_line_error(bisect(out, {"--job", "netns/dead", "debian:bookworm:6.1.0-57..6.1.0-47"}), "runs backwards");
  std::ofstream(out.path + "/a.deb") << "x";
  std::ofstream(out.path + "/b.deb") << "x";
  expect_one_line_error(bisect(out, {"--job", "netns/dead", out.path + "/a.deb", out.path + "/b.deb", "--good", "b.deb",
                                     "--bad", "a.deb"}),
                        "swapped");
  expect_nothing_started(out);
}

TEST(CliBisect, RangeOfFewerThanTwoKernels) {
  SmallRepo repo;
  TempDir out;
  expect_one_line_error(
      bisect(out, {"--job", "netns/dead", "--repo", repo.dir.path, "--good", "HEAD", "--bad", "HEAD"}),
      "fewer than two kernels");
  std::ofstream(out.path + "/only.deb") << "x";
  expect_one_line_error(bisect(out, {"--job", "netns/dead", out.path + "/only.deb"}), "fewer than two kernels");
  expect_one_line_error(bisect(out, {"--job", "netns/dead", "debian:bookworm:6.1.0-47..6.1.0-47"}),
                        "fewer than two kernels");
  expect_nothing_started(out);
}

TEST(CliBisect, MetricTheJobDoesNotProduce) {
  TempDir out;
  CapturedRun r = bisect(out, {"--job", "netns/dead", "--metric", "root_memory_numa_stat_read", "debian:bookworm:6.1"});
  expect_one_line_error(r, "--metric root_memory_numa_stat_read is not a metric job netns/dead produces");
  EXPECT_NE(r.err.find("sysctl_core_somaxconn_open"), std::string::npos) << "the error lists the job's metrics";
  // v1 and v2 memcg jobs time different files: cgroup.stat is v2's.
  expect_one_line_error(
      bisect(out, {"--job", "memcg-churn/tmpfs-4096/v1", "--metric", "root_cgroup_stat_read", "debian:bookworm:6.1"}),
      "is not a metric job");
  expect_nothing_started(out);
}

TEST(CliBisect, RepositoryThatIsNotAKernelTree) {
  SmallRepo repo;
  TempDir out;
  expect_one_line_error(
      bisect(out, {"--job", "netns/dead", "--repo", repo.dir.path, "--good", "HEAD~2", "--bad", "HEAD"}),
      "is not a Linux kernel tree");
  expect_one_line_error(bisect(out, {"--job", "netns/dead", "--repo", out.path, "--good", "a", "--bad", "b"}),
                        "is not a git repository");
  expect_nothing_started(out);
}

TEST(CliBisect, OtherInputNamedBeforeAnythingSlow) {
  TempDir out;
  expect_one_line_error(bisect(out, {"--job", "netns/nosuch", "debian:bookworm:6.1"}), "'netns/nosuch'");
  expect_one_line_error(bisect(out, {"debian:bookworm:6.1"}), "--job");
  expect_one_line_error(bisect(out, {"--job", "netns/dead", "--tries", "0", "debian:bookworm:6.1"}), "--tries");
  expect_one_line_error(bisect(out, {"--job", "netns/dead", out.path + "/none.deb", out.path + "/x.deb"}),
                        "none.deb does not exist");
  expect_one_line_error(bisect(out, {"--resume", "nosuch-bisect"}), "no bisect nosuch-bisect");
  expect_nothing_started(out);
}

}  // namespace
}  // namespace kreg::test
