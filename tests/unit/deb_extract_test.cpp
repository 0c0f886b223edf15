// .deb extraction (vm/deb_extract.cpp), on packages built with the real
// dpkg-deb for each compressor.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/vm_host_test_util.hpp"
#include "vm/archive/deb_extract.hpp"
#include "vm/kernels/kernel_fetch.hpp"

extern char** environ;

namespace kreg::test {
namespace {

// Runs argv without a shell; returns the exit status (-1 if it did not exit).
int run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

class DebTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const fs::path root = tmp / "pkg";
    write_file(root / "DEBIAN/control",
               "Package: kreg-test\nVersion: 1.2-3\nArchitecture: all\nMaintainer: x <x@y>\nDescription: t\n");
    write_file(root / "boot/vmlinuz-test", kernel_bytes);
    write_file(root / "boot/helper", "#!/bin/sh\n", 0755);
    fs::create_symlink("vmlinuz-test", root / "boot/vmlinuz");
    write_file(root / "lib/modules/test/kernel/a.ko", "module a");
    write_file(root / "usr/share/doc/kreg-test/copyright", "not wanted");
    for (const auto& dir : fs::recursive_directory_iterator(root))
      if (dir.is_directory() && !dir.is_symlink()) fs::permissions(dir.path(), static_cast<fs::perms>(0755));
    fs::permissions(root, static_cast<fs::perms>(0755));
    deb = (tmp / "kreg-test.deb").string();
    ASSERT_EQ(run({"dpkg-deb", "--root-owner-group", "-Z" + GetParam(), "--build", root.string(), deb}), 0);
  }

  TempDir tmp;
  std::string deb;
  const std::string kernel_bytes = pattern_bytes(700 * 1024 + 3);
};

TEST_P(DebTest, ExtractsMappedMembersAndReadsControl) {
  const fs::path out = tmp / "out";
  std::vector<std::string> offered;
  auto result = extract_deb(deb, [&](const std::string& member) -> std::string {
    offered.push_back(member);
    if (member.starts_with("boot/") || member.starts_with("lib/modules/")) return (out / member).string();
    return "";
  });

  EXPECT_NE(std::find(offered.begin(), offered.end(), "usr/share/doc/kreg-test/copyright"), offered.end());
  for (const auto& m : offered) {
    EXPECT_FALSE(m.starts_with("./") || m.starts_with("/") || m.ends_with("/") || m.empty()) << m;
  }

  EXPECT_TRUE(read_file(out / "boot/vmlinuz-test") == kernel_bytes);
  EXPECT_EQ(read_file(out / "lib/modules/test/kernel/a.ko"), "module a");
  EXPECT_EQ(fs::status(out / "boot/vmlinuz-test").permissions() & fs::perms::mask, static_cast<fs::perms>(0644));
  EXPECT_EQ(fs::status(out / "boot/helper").permissions() & fs::perms::mask, static_cast<fs::perms>(0755));
  ASSERT_TRUE(fs::is_symlink(out / "boot/vmlinuz"));
  EXPECT_EQ(fs::read_symlink(out / "boot/vmlinuz"), "vmlinuz-test");
  EXPECT_FALSE(fs::exists(out / "usr"));

  for (const char* rel : {"boot/vmlinuz-test", "boot/helper", "boot/vmlinuz", "lib/modules/test/kernel/a.ko"})
    EXPECT_NE(std::find(result.written.begin(), result.written.end(), (out / rel).string()), result.written.end())
        << rel;
  for (const auto& w : result.written) EXPECT_TRUE(fs::exists(fs::symlink_status(w))) << w;

  DebControl control = read_deb_control(deb);
  EXPECT_EQ(control.package, "kreg-test");
  EXPECT_EQ(control.version, "1.2-3");
}

TEST_P(DebTest, TruncatedPackageThrowsNamingIt) {
  std::string bytes = read_file(deb);
  const fs::path cut = tmp / "cut.deb";
  write_file(cut, bytes.substr(0, bytes.size() / 2));
  std::string msg =
      error_of([&] { extract_deb(cut.string(), [&](const std::string& m) { return (tmp / "o" / m).string(); }); });
  EXPECT_NE(msg.find(cut.string()), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(Compressors, DebTest, ::testing::Values("xz", "gzip", "zstd", "none"));

TEST(Deb, GarbageAndMissingFilesThrowNamingThem) {
  TempDir tmp;
  const fs::path garbage = tmp / "garbage.deb";
  write_file(garbage, "this is not a Debian package\n" + pattern_bytes(4096));
  auto keep_all = [&](const std::string& m) { return (tmp / "o" / m).string(); };
  std::string msg = error_of([&] { extract_deb(garbage.string(), keep_all); });
  EXPECT_NE(msg.find(garbage.string()), std::string::npos) << msg;
  msg = error_of([&] { read_deb_control(garbage.string()); });
  EXPECT_NE(msg.find(garbage.string()), std::string::npos) << msg;
  msg = error_of([&] { extract_deb((tmp / "missing.deb").string(), keep_all); });
  EXPECT_NE(msg.find((tmp / "missing.deb").string()), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(tmp / "o"));
}

// A linux-image .deb through kernel_from_path: cached under the package's
// sha256, and kernel.json names the member each file came from.
TEST(DebKernel, KernelFromPathRecordsWhichMembersWereUsed) {
  TempDir tmp;
  const std::string release = "6.1.0-99-cloud-amd64";
  const fs::path root = tmp / "pkg";
  std::string image = pattern_bytes(100 * 1024);
  image.replace(0x202, 4, "HdrS");
  write_file(root / "DEBIAN/control", "Package: linux-image-" + release +
                                          "-unsigned\nVersion: 6.1.999-1\nArchitecture: amd64\nMaintainer: x <x@y>\n"
                                          "Description: t\n");
  write_file(root / ("boot/vmlinuz-" + release), image);
  write_file(root / ("boot/config-" + release), "CONFIG_MEMCG=y\n");
  write_file(root / ("lib/modules/" + release + "/kernel/a.ko"), "module a");
  for (const auto& dir : fs::recursive_directory_iterator(root))
    if (dir.is_directory()) fs::permissions(dir.path(), static_cast<fs::perms>(0755));
  fs::permissions(root, static_cast<fs::perms>(0755));
  const std::string deb = (tmp / "linux-image.deb").string();
  ASSERT_EQ(run({"dpkg-deb", "--root-owner-group", "--build", root.string(), deb}), 0);

  KernelImage k = kernel_from_path(deb, (tmp / "cache").string());
  const fs::path dir = tmp / "cache/kernels" / sha256_file(deb);
  EXPECT_EQ(k.release, release);
  EXPECT_EQ(k.package, "linux-image-" + release + "-unsigned");
  EXPECT_EQ(k.package_version, "6.1.999-1");
  EXPECT_EQ(k.vmlinuz, (dir / "vmlinuz").string());
  EXPECT_TRUE(read_file(k.vmlinuz) == image);
  EXPECT_EQ(read_file(dir / "modules/kernel/a.ko"), "module a");
  EXPECT_EQ(k.packages, std::vector<std::string>{"linux-image.deb"});
  EXPECT_EQ(k.files.at("vmlinuz"), "linux-image.deb: boot/vmlinuz-" + release);
  EXPECT_EQ(k.files.at("config"), "linux-image.deb: boot/config-" + release);
  EXPECT_EQ(k.files.at("modules").rfind("linux-image.deb: lib/modules/" + release + "/ (", 0), 0u);
  EXPECT_EQ(kernel_from_json(nlohmann::json::parse(read_file(dir / "kernel.json"))).files, k.files);
}

}  // namespace
}  // namespace kreg::test
