// ELF shared-library closure (vm/elf_closure.cpp), checked against real host
// binaries and an independent PT_INTERP oracle.
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

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
  GTEST_SKIP() << "no static binary on this host";
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
    GTEST_SKIP() << "/bin/ls does not have exactly one libc.so.6 string";
  bytes.replace(pos, from.size(), to);
  TempDir tmp;
  write_file(tmp / "ls", bytes, 0755);
  std::string msg = error_of([&] { elf_shared_closure((tmp / "ls").string()); });
  EXPECT_NE(msg.find((tmp / "ls").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("libkrgz.6"), std::string::npos) << msg;
}

TEST(ElfClosure, ResolvesOriginRpathIfJavaIsInstalled) {
  // OpenJDK's launcher has DT_RPATH "$ORIGIN:$ORIGIN/../lib" for libjli.so.
  fs::path java;
  std::error_code ec;
  if (fs::is_directory("/usr/lib/jvm"))
    for (const auto& jdk : fs::directory_iterator("/usr/lib/jvm", ec))
      if (!jdk.is_symlink() && fs::exists(jdk.path() / "bin/java") && fs::exists(jdk.path() / "lib/libjli.so"))
        java = jdk.path() / "bin/java";
  if (java.empty()) GTEST_SKIP() << "no OpenJDK with lib/libjli.so";
  auto deps = elf_shared_closure(java.string());
  auto jli = std::find_if(deps.begin(), deps.end(), [](const ElfDependency& d) { return d.soname == "libjli.so"; });
  ASSERT_NE(jli, deps.end());
  EXPECT_EQ(jli->guest_path,
            fs::canonical(java).parent_path().parent_path().relative_path().string() + "/lib/libjli.so");
}

}  // namespace
}  // namespace kreg::test
