#include "vm/kernels/kernel_modules.hpp"

#include <elf.h>
#include <spawn.h>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tests/ci_skip.hpp"
#include "vm/common/error.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace fs = std::filesystem;
using kreg::KernelModule;

extern char** environ;

namespace {

// Smallest ELF64 a module parser must accept: header, .shstrtab, .modinfo
// and a section header table (null, .shstrtab, .modinfo) at the end.
std::string fake_module(const std::string& modinfo) {
  const std::string shstrtab = std::string("\0.shstrtab\0.modinfo\0", 20);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_REL;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 3;
  eh.e_shstrndx = 1;
  uint64_t shstr_off = sizeof(Elf64_Ehdr);
  uint64_t modinfo_off = shstr_off + shstrtab.size();
  eh.e_shoff = (modinfo_off + modinfo.size() + 7) & ~uint64_t{7};
  Elf64_Shdr sh[3]{};
  sh[1].sh_name = 1;  // ".shstrtab"
  sh[1].sh_type = SHT_STRTAB;
  sh[1].sh_offset = shstr_off;
  sh[1].sh_size = shstrtab.size();
  sh[2].sh_name = 11;  // ".modinfo"
  sh[2].sh_type = SHT_PROGBITS;
  sh[2].sh_offset = modinfo_off;
  sh[2].sh_size = modinfo.size();
  std::string out(reinterpret_cast<const char*>(&eh), sizeof eh);
  out += shstrtab + modinfo;
  out.resize(eh.e_shoff, '\0');
  out.append(reinterpret_cast<const char*>(sh), sizeof sh);
  return out;
}

void write_file(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

// Runs argv (PATH lookup, no shell); returns the exit status or -1 when the
// program cannot be started.
int run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> names(const std::vector<KernelModule>& mods) {
  std::vector<std::string> out;
  for (const auto& m : mods) out.push_back(m.name);
  return out;
}

// Every module appears once, after all its depends that are in the list
// (depends that are builtin are legitimately absent).
void expect_dependency_order(const std::vector<KernelModule>& mods) {
  std::map<std::string, size_t> pos;
  for (size_t i = 0; i < mods.size(); ++i)
    EXPECT_TRUE(pos.emplace(mods[i].name, i).second) << "duplicate " << mods[i].name;
  for (size_t i = 0; i < mods.size(); ++i)
    for (const auto& dep : mods[i].depends)
      if (pos.count(dep)) {
        EXPECT_LT(pos[dep], i) << mods[i].name << " loads before its dependency " << dep;
      }
}

class SyntheticTree : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kreg-km-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    write_file(dir / "kernel/drivers/a.ko", fake_module(std::string("license=GPL\0depends=b\0name=a\0", 29)));
    write_file(dir / "kernel/lib/b.ko", fake_module(std::string("depends=c\0", 10)));
    write_file(dir / "kernel/lib/c.ko", fake_module(std::string("depends=\0\0\0", 11)));
    write_file(dir / "kernel/fs/dash-name.ko", fake_module(std::string("depends=c\0", 10)));
    write_file(dir / "modules.builtin", "kernel/fs/ext4/ext4.ko\nkernel/fs/built-in-fs.ko\n");
    write_file(dir / "modules.order", "kernel/drivers/a.ko\n");
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(SyntheticTree, OrdersDependenciesFirstThroughCompressedModule) {
  int rc = run({"xz", "-k", (dir / "kernel/lib/b.ko").string()});
  if (rc == -1) KREG_SKIP_OR_FAIL_ON_CI("xz not found to build the compressed fixture (./setup.sh installs xz-utils)");
  ASSERT_EQ(rc, 0);
  std::string plain_b = fake_module(std::string("depends=c\0", 10));
  fs::remove(dir / "kernel/lib/b.ko");  // only b.ko.xz remains, as on newer kernels

  auto mods = kreg::module_closure(dir.string(), {"a"});
  EXPECT_EQ(names(mods), (std::vector<std::string>{"c", "b", "a"}));
  expect_dependency_order(mods);
  ASSERT_EQ(mods.size(), 3u);
  EXPECT_TRUE(mods[1].compressed);
  EXPECT_EQ(fs::path(mods[1].host_path).filename(), "b.ko.xz");
  EXPECT_EQ(mods[1].guest_path, "lib/modules/b.ko");
  EXPECT_EQ(mods[2].depends, std::vector<std::string>{"b"});
  EXPECT_TRUE(mods[0].depends.empty());
  EXPECT_EQ(kreg::module_bytes(mods[1]), plain_b);
}

TEST_F(SyntheticTree, DashAndUnderscoreAreTheSameNameAndNoDuplicates) {
  auto mods = kreg::module_closure(dir.string(), {"dash_name", "c", "dash-name", "b"});
  EXPECT_EQ(names(mods), (std::vector<std::string>{"c", "dash_name", "b"}));
  EXPECT_EQ(mods[1].guest_path, "lib/modules/dash_name.ko");
}

TEST_F(SyntheticTree, BuiltinIsSkippedAndUnknownThrows) {
  EXPECT_TRUE(kreg::module_closure(dir.string(), {"ext4", "built_in_fs"}).empty());
  try {
    kreg::module_closure(dir.string(), {"c", "no_such_mod"});
    FAIL() << "expected KregError";
  } catch (const kreg::KregError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_mod"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
  }
}

TEST(ModinfoEntries, RejectsNonElfAndTruncated) {
  EXPECT_THROW(kreg::modinfo_entries("not an elf at all, just text........................................", "x"),
               kreg::KregError);
  std::string elf = fake_module(std::string("depends=b\0", 10));
  EXPECT_THROW(kreg::modinfo_entries(elf.substr(0, elf.size() - 10), "x"), kreg::KregError);
  EXPECT_EQ(kreg::modinfo_entries(elf, "x"), std::vector<std::string>{"depends=b"});
}

// The modules of the kernel every VM test boots (Debian 6.1 cloud, whose
// virtio_blk, virtio_pci and ext4 are known), from kreg's own cache
// (default_cache_dir(): KREG_CACHE_DIR, XDG_CACHE_HOME or ~/.cache). ctest's
// fetch_kernel entry put it there; run alone, the test fetches it itself.
std::string debian_61_modules_dir() {
  kreg::KernelImage k = kreg::obtain_kernel("debian:bookworm:6.1", kreg::default_cache_dir());
  return k.modules_dir;
}

TEST(RealDebianTree, VirtioBlockClosure) {
  const std::string dir = debian_61_modules_dir();
  ASSERT_TRUE(fs::is_regular_file(fs::path(dir) / "modules.builtin")) << "no extracted modules in '" << dir << "'";
  auto mods = kreg::module_closure(dir, {"virtio_pci", "virtio_blk"});
  std::string listing;
  for (const auto& m : mods) listing += m.name + " ";
  std::cout << "closure of virtio_pci,virtio_blk in " << dir << ": " << listing << "\n";
  std::set<std::string> got;
  for (const auto& m : mods) got.insert(m.name);
  // Debian's 6.1 cloud kernel has the virtio block stack as modules (7.x
  // cloud kernels build virtio and virtio_pci in): every piece is loaded.
  for (const char* want :
       {"virtio", "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "virtio_blk"})
    EXPECT_TRUE(got.count(want)) << want << " not in the closure (" << listing << ")";
  expect_dependency_order(mods);
  for (const auto& m : mods) EXPECT_EQ(m.guest_path, "lib/modules/" + m.name + ".ko");

  auto blk = std::find_if(mods.begin(), mods.end(), [](const KernelModule& m) { return m.name == "virtio_blk"; });
  ASSERT_NE(blk, mods.end());
  EXPECT_EQ(kreg::module_bytes(*blk).substr(0, 4),
            "\x7f"
            "ELF");
}

TEST(RealDebianTree, BuiltinAndUnknown) {
  const std::string dir = debian_61_modules_dir();
  std::ifstream builtin(fs::path(dir) / "modules.builtin");
  std::string text((std::istreambuf_iterator<char>(builtin)), std::istreambuf_iterator<char>());
  // Debian's cloud 6.1 builds ext4 in.
  ASSERT_NE(text.find("/ext4.ko\n"), std::string::npos) << "ext4 is not built in, says " << dir << "/modules.builtin";
  EXPECT_TRUE(kreg::module_closure(dir, {"ext4"}).empty());
  try {
    kreg::module_closure(dir, {"kreg_no_such_module"});
    FAIL() << "expected KregError";
  } catch (const kreg::KregError& e) {
    EXPECT_NE(std::string(e.what()).find("kreg_no_such_module"), std::string::npos) << e.what();
  }
}

}  // namespace
