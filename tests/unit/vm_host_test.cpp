// Host-side VM plumbing: initramfs writer, ELF shared-library closure and
// .deb extraction. Archives are read back with libarchive and packages are
// built with the real dpkg-deb, so the tests check formats, not our own
// assumptions about them.
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/error.hpp"
#include "vm/deb_extract.hpp"
#include "vm/elf_closure.hpp"
#include "vm/initramfs.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace kreg;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kreg-vmhost-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& p, const std::string& content, unsigned mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  fs::permissions(p, static_cast<fs::perms>(mode));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Deterministic bytes that are not one repeated pattern (catches chunk mix-ups).
std::string pattern_bytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

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

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const KregError& e) {
    return e.what();
  }
  return "<no KregError thrown>";
}

// --- initramfs ---------------------------------------------------------------

struct CpioEntry {
  std::string name;
  unsigned type = 0, perm = 0;
  la_int64_t uid = -1, gid = -1;
  std::string content, symlink;
};

std::vector<CpioEntry> read_cpio(const fs::path& path, int* format) {
  archive* a = archive_read_new();
  archive_read_support_format_cpio(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 16384), ARCHIVE_OK) << archive_error_string(a);
  std::vector<CpioEntry> out;
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    CpioEntry c;
    c.name = archive_entry_pathname(e);
    c.type = archive_entry_filetype(e);
    c.perm = archive_entry_perm(e);
    c.uid = archive_entry_uid(e);
    c.gid = archive_entry_gid(e);
    if (archive_entry_symlink(e)) c.symlink = archive_entry_symlink(e);
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) c.content.append(buf, static_cast<size_t>(n));
    out.push_back(c);
    *format = archive_format(a);
  }
  archive_read_free(a);
  return out;
}

TEST(Initramfs, RoundTripsThroughLibarchive) {
  TempDir tmp;
  const std::string big = pattern_bytes(3 * 1024 * 1024 + 17);  // spans several write chunks
  write_file(tmp / "host-libc", big);
  write_file(tmp / "host-libm", "libm bytes");
  using K = InitramfsEntry::Kind;
  std::vector<InitramfsEntry> entries = {
      {K::File, "init", "", "#!/bin/sh\necho hi\n", "", 0755},
      {K::File, "lib/x86_64-linux-gnu/libc.so.6", (tmp / "host-libc").string(), "", "", 0644},
      {K::File, "lib/x86_64-linux-gnu/libm.so.6", (tmp / "host-libm").string(), "", "", 0600},
      {K::Symlink, "bin/sh", "", "", "busybox", 0777},
      {K::File, "/etc/deep/er/file.txt", "", "nested", "", 0640},
      {K::Directory, "dev", "", "", "", 0700},
  };
  const fs::path out = tmp / "initrd.cpio";
  write_initramfs(out.string(), entries);

  int format = 0;
  auto got = read_cpio(out, &format);
  EXPECT_EQ(format, ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);  // "newc"

  std::map<std::string, int> count;
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < got.size(); ++i) {
    count[got[i].name]++;
    position[got[i].name] = i;
    EXPECT_EQ(got[i].uid, 0) << got[i].name;
    EXPECT_EQ(got[i].gid, 0) << got[i].name;
    EXPECT_NE(got[i].name[0], '/') << got[i].name;
  }
  const std::vector<std::string> dirs = {"lib", "lib/x86_64-linux-gnu", "bin", "etc", "etc/deep", "etc/deep/er", "dev"};
  for (const auto& d : dirs) EXPECT_EQ(count[d], 1) << d;
  EXPECT_EQ(got.size(), dirs.size() + 5);  // 5 non-directory entries, nothing else

  // Every entry's parent must come before it: the kernel does not mkdir -p.
  for (const auto& c : got) {
    auto slash = c.name.rfind('/');
    if (slash == std::string::npos) continue;
    std::string parent = c.name.substr(0, slash);
    ASSERT_TRUE(position.count(parent)) << c.name;
    EXPECT_LT(position[parent], position[c.name]) << c.name;
  }

  auto find = [&](const std::string& name) {
    auto it = std::find_if(got.begin(), got.end(), [&](const CpioEntry& c) { return c.name == name; });
    EXPECT_NE(it, got.end()) << name;
    return it == got.end() ? CpioEntry{} : *it;
  };
  for (const auto& d : dirs) EXPECT_EQ(find(d).type, unsigned(AE_IFDIR)) << d;
  EXPECT_EQ(find("lib").perm, 0755u);
  EXPECT_EQ(find("dev").perm, 0700u);

  CpioEntry init = find("init");
  EXPECT_EQ(init.type, unsigned(AE_IFREG));
  EXPECT_EQ(init.perm, 0755u);
  EXPECT_EQ(init.content, "#!/bin/sh\necho hi\n");

  CpioEntry libc = find("lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(libc.perm, 0644u);
  EXPECT_EQ(libc.content.size(), big.size());
  EXPECT_TRUE(libc.content == big);
  EXPECT_EQ(find("lib/x86_64-linux-gnu/libm.so.6").perm, 0600u);
  EXPECT_EQ(find("lib/x86_64-linux-gnu/libm.so.6").content, "libm bytes");

  CpioEntry sh = find("bin/sh");
  EXPECT_EQ(sh.type, unsigned(AE_IFLNK));
  EXPECT_EQ(sh.symlink, "busybox");

  CpioEntry deep = find("etc/deep/er/file.txt");
  EXPECT_EQ(deep.perm, 0640u);
  EXPECT_EQ(deep.content, "nested");
}

TEST(Initramfs, UnwritableOutputNamesThePath) {
  const std::string out = "/proc/kreg-nope/x.cpio";
  std::string msg = error_of([&] { write_initramfs(out, {{InitramfsEntry::Kind::File, "init", "", "x", "", 0755}}); });
  EXPECT_NE(msg.find(out), std::string::npos) << msg;
  EXPECT_NE(msg.find("--work-dir"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Initramfs, MissingHostFileNamesItAndLeavesNoPartialImage) {
  TempDir tmp;
  const std::string out = (tmp / "initrd.cpio").string();
  const std::string missing = (tmp / "no-such-binary").string();
  std::string msg = error_of([&] {
    write_initramfs(out, {{InitramfsEntry::Kind::File, "init", "", "x", "", 0755},
                          {InitramfsEntry::Kind::File, "bin/agent", missing, "", "", 0755}});
  });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(out));
}

TEST(Initramfs, RejectsDotDotPaths) {
  TempDir tmp;
  EXPECT_THROW(write_initramfs((tmp / "i.cpio").string(),
                               {{InitramfsEntry::Kind::File, "lib/../../etc/x", "", "x", "", 0644}}),
               KregError);
}

// --- ELF closure ---------------------------------------------------------------

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
  EXPECT_EQ(jli->guest_path, fs::canonical(java).parent_path().parent_path().relative_path().string() + "/lib/libjli.so");
}

// --- .deb extraction -----------------------------------------------------------

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
    EXPECT_NE(std::find(result.written.begin(), result.written.end(), (out / rel).string()), result.written.end()) << rel;
  for (const auto& w : result.written) EXPECT_TRUE(fs::exists(fs::symlink_status(w))) << w;

  DebControl control = read_deb_control(deb);
  EXPECT_EQ(control.package, "kreg-test");
  EXPECT_EQ(control.version, "1.2-3");
}

TEST_P(DebTest, TruncatedPackageThrowsNamingIt) {
  std::string bytes = read_file(deb);
  const fs::path cut = tmp / "cut.deb";
  write_file(cut, bytes.substr(0, bytes.size() / 2));
  std::string msg = error_of([&] { extract_deb(cut.string(), [&](const std::string& m) { return (tmp / "o" / m).string(); }); });
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

}  // namespace
