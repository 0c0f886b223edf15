// Initramfs writer (vm/initramfs.cpp): the newc image is read back with
// libarchive, so the tests check the format, not our assumptions about it.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/vm_host_test_util.hpp"
#include "vm/boot/initramfs.hpp"

namespace kreg::test {
namespace {

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
  EXPECT_THROW(
      write_initramfs((tmp / "i.cpio").string(), {{InitramfsEntry::Kind::File, "lib/../../etc/x", "", "x", "", 0644}}),
      KregError);
}

}  // namespace
}  // namespace kreg::test
