// ELF shared-library closure (vm/elf_closure.cpp), checked against real host
// binaries and an independent PT_INTERP oracle.
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tests/ci_skip.hpp"
#include "tests/unit/vm_host_test_util.hpp"
#include "vm/boot/elf_closure.hpp"

namespace kreg::test {
namespace {

// Independent oracle: does the file have a PT_INTERP segment?
bool has_interp(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < sizeof(Elf64_Ehdr)) return false;
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, bytes.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) return true;
  }
  return false;
}

TEST(ElfClosure, DynamicBinaryHasInterpreterFirstAndLibc) {
  auto deps = elf_shared_closure("/bin/ls");
  ASSERT_GE(deps.size(), 2u);
  EXPECT_EQ(deps[0].soname, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(deps[0].guest_path, "lib64/ld-linux-x86-64.so.2");

  auto libc = std::find_if(deps.begin(), deps.end(), [](const ElfDependency& d) { return d.soname == "libc.so.6"; });
  ASSERT_NE(libc, deps.end());
  EXPECT_EQ(libc->guest_path, "lib/x86_64-linux-gnu/libc.so.6");

  std::map<std::string, int> sonames, guest_paths;
  for (const auto& d : deps) {
    sonames[d.soname]++;
    guest_paths[d.guest_path]++;
    EXPECT_TRUE(fs::path(d.host_path).is_absolute()) << d.host_path;
    EXPECT_TRUE(fs::is_regular_file(d.host_path)) << d.host_path;
    EXPECT_FALSE(fs::is_symlink(d.host_path)) << d.host_path;
    EXPECT_EQ(fs::canonical(d.host_path).string(), d.host_path);
    EXPECT_NE(d.guest_path[0], '/') << d.guest_path;
  }
  for (const auto& [name, n] : sonames) EXPECT_EQ(n, 1) << name;
  for (const auto& [path, n] : guest_paths) EXPECT_EQ(n, 1) << path;
  // libc needs ld-linux-x86-64.so.2, which is the already-loaded interpreter.
  EXPECT_EQ(sonames.count("ld-linux-x86-64.so.2"), 0u);
}

TEST(ElfClosure, StaticBinaryHasEmptyClosure) {
  for (const char* candidate : {"/bin/busybox", "/usr/bin/busybox", "/usr/lib/klibc/bin/sh.shared"}) {
    if (fs::is_regular_file(candidate) && !has_interp(candidate)) {
      EXPECT_TRUE(elf_shared_closure(candidate).empty()) << candidate;
      return;
    }
  }
  KREG_SKIP_OR_FAIL_ON_CI("no static binary on this host (./setup.sh installs busybox-static: /bin/busybox)");
}

TEST(ElfClosure, NonElfAndMissingFilesThrow) {
  TempDir tmp;
  write_file(tmp / "hostname", "myhost\n");
  std::string msg = error_of([&] { elf_shared_closure((tmp / "hostname").string()); });
  EXPECT_NE(msg.find((tmp / "hostname").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a 64-bit ELF"), std::string::npos) << msg;

  msg = error_of([&] { elf_shared_closure((tmp / "nope").string()); });
  EXPECT_NE(msg.find((tmp / "nope").string()), std::string::npos) << msg;
}

TEST(ElfClosure, MissingLibraryNamesBinaryAndLibrary) {
  // A copy of /bin/ls whose DT_NEEDED "libc.so.6" string is renamed in .dynstr.
  std::string bytes = read_file("/bin/ls");
  const std::string from("libc.so.6\0", 10), to("libkrgz.6\0", 10);
  size_t pos = bytes.find(from);
  if (pos == std::string::npos || bytes.find(from, pos + 1) != std::string::npos)
    KREG_SKIP_OR_FAIL_ON_CI("/bin/ls does not have exactly one libc.so.6 string to rename");
  bytes.replace(pos, from.size(), to);
  TempDir tmp;
  write_file(tmp / "ls", bytes, 0755);
  std::string msg = error_of([&] { elf_shared_closure((tmp / "ls").string()); });
  EXPECT_NE(msg.find((tmp / "ls").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("libkrgz.6"), std::string::npos) << msg;
}

// The fixture built beside the tests (tests/unit/origin_fixture), copied to
// a fresh bin/ and lib/ pair: the closure must find the copy through $ORIGIN
// (its other run path entry, CMake's build directory, holds the original).
class ElfClosureOrigin : public ::testing::TestWithParam<const char*> {};

TEST_P(ElfClosureOrigin, ResolvesOriginRelativeToTheBinarysRealLocation) {
  const fs::path built = KREG_ORIGIN_FIXTURE_DIR;
  const std::string exe = std::string("kreg_origin_") + GetParam();
  ASSERT_TRUE(fs::is_regular_file(built / "bin" / exe)) << built / "bin" / exe;
  TempDir tmp;
  fs::create_directories(tmp / "app/bin");
  fs::create_directories(tmp / "app/lib");
  fs::copy_file(built / "bin" / exe, tmp / ("app/bin/" + exe));
  fs::copy_file(built / "lib/libkregorigin.so", tmp / "app/lib/libkregorigin.so");
  // Called through a symlink elsewhere: $ORIGIN is where the file really is.
  fs::create_symlink(tmp / ("app/bin/" + exe), tmp / "launcher");

  auto deps = elf_shared_closure((tmp / "launcher").string());
  auto lib =
      std::find_if(deps.begin(), deps.end(), [](const ElfDependency& d) { return d.soname == "libkregorigin.so"; });
  ASSERT_NE(lib, deps.end());
  EXPECT_EQ(lib->host_path, fs::canonical(tmp / "app/lib/libkregorigin.so").string());
  EXPECT_EQ(lib->guest_path, fs::canonical(tmp.path()).relative_path().string() + "/app/lib/libkregorigin.so");
  EXPECT_TRUE(std::any_of(deps.begin(), deps.end(), [](const ElfDependency& d) { return d.soname == "libc.so.6"; }));
}

INSTANTIATE_TEST_SUITE_P(DynamicTag, ElfClosureOrigin, ::testing::Values("rpath", "runpath"));

}  // namespace
}  // namespace kreg::test
