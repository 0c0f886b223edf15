// Bad input for kernels built from source, through the kreg binary: each is
// one error line (exit 2) that names the input, before anything slow (no
// download, no unpacking, no build). tests/integration/vm_source_test.cpp
// holds the cases that need a real kernel tree (Debian's linux-source-6.1).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/kreg_cli.hpp"

namespace fs = std::filesystem;

namespace kreg::test {
namespace {

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// Nothing was unpacked or built in the cache.
void expect_cache_untouched(const std::string& cache) {
  EXPECT_FALSE(fs::exists(cache + "/kernels")) << "a kernel was built";
  if (fs::exists(cache + "/sources"))
    for (const auto& e : fs::recursive_directory_iterator(cache + "/sources"))
      EXPECT_NE(e.path().filename(), "src") << "a tree was left in " << e.path();
}

TEST(CliSource, MissingTree) {
  TempDir tmp;
  CapturedRun r = run_kreg({"kernels", "fetch", "src:/nonexistent/linux-4.19", "--cache", tmp.path + "/cache"});
  expect_one_line_error(r, "kernel source /nonexistent/linux-4.19 does not exist");
  expect_cache_untouched(tmp.path + "/cache");
}

TEST(CliSource, DirectoryThatIsNotAKernelTree) {
  TempDir tmp;
  write_text(tmp.path + "/project/Makefile", "all:\n\ttrue\n");
  CapturedRun r = run_kreg({"kernels", "fetch", "src:" + tmp.path + "/project", "--cache", tmp.path + "/cache"});
  expect_one_line_error(r, "is not a Linux kernel tree (no top-level Makefile with VERSION/PATCHLEVEL)");
  expect_cache_untouched(tmp.path + "/cache");
}

TEST(CliSource, TarballThatIsNotAKernel) {
  TempDir tmp;
  write_text(tmp.path + "/busybox-1.36/Makefile", "VERSION = 1\nPATCHLEVEL = 36\nSUBLEVEL = 1\n");
  write_text(tmp.path + "/busybox-1.36/README", "not a kernel\n");
  ASSERT_EQ(run_captured({"tar", "czf", tmp.path + "/busybox-1.36.tar.gz", "-C", tmp.path, "busybox-1.36"}).exit_code,
            0);
  CapturedRun r =
      run_kreg({"kernels", "fetch", "src:" + tmp.path + "/busybox-1.36.tar.gz", "--cache", tmp.path + "/cache"});
  expect_one_line_error(r, "busybox-1.36.tar.gz is not a Linux kernel source tarball");
  expect_cache_untouched(tmp.path + "/cache");
  // Not even an empty workspace named after the tarball's SHA-256.
  if (fs::exists(tmp.path + "/cache/sources"))
    for (const auto& e : fs::directory_iterator(tmp.path + "/cache/sources"))
      EXPECT_NE(e.path().filename().string().rfind("tarball-", 0), 0u) << e.path() << " was left behind";
}

TEST(CliSource, FileThatIsNotATarball) {
  TempDir tmp;
  write_text(tmp.path + "/linux.zip", "PK");
  CapturedRun r = run_kreg({"kernels", "fetch", "src:" + tmp.path + "/linux.zip", "--cache", tmp.path + "/cache"});
  expect_one_line_error(r, "is a file but not a .tar.xz/.tar.gz/.tar.bz2/.tar tarball");
}

TEST(CliSource, MissingPatchOrConfigBeforeAnyDownload) {
  TempDir tmp;
  CapturedRun r = run_kreg({"kernels", "fetch", "debian-source:bookworm:6.1", "--patch", tmp.path + "/fix.patch",
                            "--cache", tmp.path + "/cache"});
  expect_one_line_error(r, "patch " + tmp.path + "/fix.patch does not exist");
  write_text(tmp.path + "/notes.patch", "just words, no diff\n");
  r = run_kreg({"kernels", "fetch", "debian-source:bookworm:6.1", "--patch", tmp.path + "/notes.patch", "--cache",
                tmp.path + "/cache"});
  expect_one_line_error(r, "holds no unified diff");
  r = run_kreg({"kernels", "fetch", "debian-source:bookworm:6.1", "--config", tmp.path + "/vendor.config", "--cache",
                tmp.path + "/cache"});
  expect_one_line_error(r, "base config " + tmp.path + "/vendor.config");
  EXPECT_FALSE(fs::exists(tmp.path + "/cache/apt")) << "apt ran before the input was checked";
}

TEST(CliSource, PatchesOnlyForSourceKernels) {
  TempDir tmp;
  write_text(tmp.path + "/x.toml",
             "kernels = [{ spec = \"debian:bookworm:6.1\", patches = [\"a.patch\"] }]\n[[job]]\nid = \"j\"\n"
             "scenario = \"netns\"\ntargets = [0]\n");
  CapturedRun r = run_kreg({"run", tmp.path + "/x.toml", "--results", tmp.path + "/results"});
  expect_one_line_error(r, "x.toml:1: patches and config apply only to kernels built from source");
  write_text(tmp.path + "/y.toml",
             "kernels = [{ spec = \"src:/x\", patchs = [\"a.patch\"] }]\n[[job]]\nid = \"j\"\n"
             "scenario = \"netns\"\ntargets = [0]\n");
  r = run_kreg({"run", tmp.path + "/y.toml", "--results", tmp.path + "/results"});
  expect_one_line_error(r, "y.toml:1: unknown key 'patchs' in a kernel table (known: config, label, patches, spec)");
}

}  // namespace
}  // namespace kreg::test
