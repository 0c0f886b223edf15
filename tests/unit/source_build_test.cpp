// The parts of vm/source that decide before a kernel is built: a tree's
// version, its content identity, patches (checked against the pristine tree,
// applied and undone), merge_config.sh semantics and the check after
// olddefconfig, and the toolchain fixes, on real kernel source excerpts
// (tests/fixtures/source/) and real patch(1).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "vm/common/error.hpp"
#include "vm/source/kernel_config.hpp"
#include "vm/source/kernel_make.hpp"
#include "vm/source/kernel_tree.hpp"
#include "vm/source/patch_file.hpp"
#include "vm/source/toolchain_fixes.hpp"
#include "vm/source/tree_edits.hpp"

namespace fs = std::filesystem;

namespace kreg {
namespace {

const std::string kFixtures = KREG_SOURCE_DIR "/tests/fixtures/source";
const std::string kControlPatch = KREG_SOURCE_DIR "/suites/patches/memcg-numa-stat-tree-walk-6.1.patch";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A tree with the real 4.19.222 board Makefile head, and mm/memcontrol.c
// holding the real 6.1.192 memcg_numa_stat_show.
struct Tree {
  fs::path dir;
  Tree() {
    char tmpl[] = "/tmp/kreg-source-test-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::copy_file(kFixtures + "/linux-4.19.222-board-Makefile", dir / "Makefile");
    write_text(dir / "Kconfig", "mainmenu \"Linux Kernel Configuration\"\n");
    write_text(dir / "arch/x86/Kconfig", "config X86\n\tdef_bool y\n");
    write_text(dir / "security/selinux/include/classmap.h", read_text(kFixtures + "/linux-4.19.222-classmap-tail.h"));
    write_text(dir / "mm/memcontrol.c", read_text(kFixtures + "/linux-6.1.192-memcg_numa_stat_show.c"));
  }
  ~Tree() { fs::remove_all(dir); }
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const KregError& e) {
    return e.what();
  }
  return "";
}

TEST(SourceTree, VersionFromTheTopMakefile) {
  Tree t;
  TreeVersion v = check_kernel_tree(t.dir, "src:x");
  EXPECT_EQ(v.text(), "4.19.222");
  EXPECT_TRUE(v.before(5, 7));
  EXPECT_FALSE(v.before(4, 19, 222));
  EXPECT_EQ(parse_makefile_version("VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION = -rc3\n").text(),
            "6.1.0-rc3");
}

TEST(SourceTree, NotAKernelTreeNamesWhatIsMissing) {
  Tree t;
  fs::remove(t.dir / "Kconfig");
  EXPECT_NE(error_of([&] { check_kernel_tree(t.dir, "src:x"); }).find("(no top-level Kconfig)"), std::string::npos);
  EXPECT_NE(error_of([&] { check_kernel_tree("/nonexistent/linux", "src:/nonexistent/linux"); }).find("does not exist"),
            std::string::npos);
}

TEST(SourceTree, ContentHashFollowsContentNotBuildOutput) {
  Tree t;
  const std::string before = tree_content_hash(t.dir);
  EXPECT_EQ(before.rfind("tree-sha256:", 0), 0u);
  // In-tree build output, .git and kreg's bookkeeping are not the source.
  write_text(t.dir / ".config", "CONFIG_X=y\n");
  write_text(t.dir / ".git/HEAD", "ref: refs/heads/main\n");
  write_text(t.dir / ".kreg/edits.json", "{}\n");
  write_text(t.dir / "include/config/auto.conf", "x\n");
  EXPECT_EQ(tree_content_hash(t.dir), before);
  write_text(t.dir / "mm/memcontrol.c", read_text(t.dir / "mm/memcontrol.c") + "\n");
  EXPECT_NE(tree_content_hash(t.dir), before);
}

TEST(SourcePatch, ControlPatchReadsItsFileAndHunk) {
  PatchFile p = read_patch_file(kControlPatch);
  ASSERT_EQ(p.files(), std::vector<std::string>{"mm/memcontrol.c"});
  ASSERT_EQ(p.sections[0].hunks.size(), 1u);
  EXPECT_EQ(p.sections[0].hunks[0].rfind("@@ -4016,", 0), 0u);
  EXPECT_EQ(p.sha256.size(), 64u);
}

TEST(SourcePatch, ControlPatchAppliesToTheReal61Function) {
  Tree t;
  TreeEdits edits(t.dir);
  PatchFile p = read_patch_file(kControlPatch);
  check_patch_series(
      {p}, [&](const std::string& rel) { return edits.original(rel); }, "6.1.192");
  // Checked on a scratch copy: the tree itself is untouched.
  EXPECT_EQ(read_text(t.dir / "mm/memcontrol.c"), read_text(kFixtures + "/linux-6.1.192-memcg_numa_stat_show.c"));
}

TEST(SourcePatch, AHunkThatDoesNotApplyIsNamed) {
  Tree t;
  std::string c = read_text(t.dir / "mm/memcontrol.c");
  c.replace(c.find("hierarchical_%s=%lu"), 19, "hier_%s=%lu");  // the context the hunk removes
  write_text(t.dir / "mm/memcontrol.c", c);
  TreeEdits edits(t.dir);
  PatchFile p = read_patch_file(kControlPatch);
  std::string msg = error_of([&] {
    check_patch_series(
        {p}, [&](const std::string& rel) { return edits.original(rel); }, "src:tree");
  });
  EXPECT_NE(msg.find("does not apply to src:tree"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mm/memcontrol.c hunk #1 (@@ -4016,15 +4016,27 @@) FAILED at line 4016"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

TEST(SourcePatch, EditsApplyUndoAndSwitch) {
  Tree t;
  const std::string pristine = read_text(t.dir / "mm/memcontrol.c");
  PatchFile p = read_patch_file(kControlPatch);
  TreeEdits edits(t.dir);
  TreeEdit patch{"patch " + p.sha256, p.files(), [p](const std::string& tree) { apply_patch(p, tree); }};
  TreeEdit create{"fix new-file", {"scripts/kreg-new"}, [](const std::string& tree) {
                    write_text(fs::path(tree) / "scripts/kreg-new", "x\n");
                  }};
  EXPECT_EQ(edits.set({patch, create}).size(), 2u);
  EXPECT_NE(read_text(t.dir / "mm/memcontrol.c").find("for_each_mem_cgroup_tree(iter, memcg)"), std::string::npos);
  EXPECT_TRUE(fs::exists(t.dir / "scripts/kreg-new"));
  // The same edits again: nothing is touched (no rebuild).
  EXPECT_TRUE(edits.set({patch, create}).empty());
  // What a later check sees as the original is the pristine file.
  EXPECT_EQ(read_text(*edits.original("mm/memcontrol.c")), pristine);
  EXPECT_FALSE(edits.original("scripts/kreg-new").has_value());
  // Switching to the patch alone undoes the created file.
  edits.set({patch});
  EXPECT_FALSE(fs::exists(t.dir / "scripts/kreg-new"));
  edits.restore();
  EXPECT_EQ(read_text(t.dir / "mm/memcontrol.c"), pristine);
  EXPECT_TRUE(edits.applied().empty());
}

TEST(SourceConfig, MergeReplacesTheBasesLinesLikeMergeConfigSh) {
  const std::string base = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n# a comment\n";
  const std::string merged = merge_config(base, parse_config_lines("CONFIG_B=y\n# CONFIG_A is not set\n"));
  EXPECT_EQ(merged, "CONFIG_C=\"x\"\n# a comment\nCONFIG_B=y\n# CONFIG_A is not set\n");
  auto values = config_values(merged);
  EXPECT_EQ(values["A"], "n");
  EXPECT_EQ(values["B"], "y");
}

TEST(SourceConfig, DroppedIsAnErrorAbsentIsAWarning) {
  auto required = parse_config_lines("CONFIG_VIRTIO_PCI=y\nCONFIG_MEMCG_V1=y\nCONFIG_MEMCG=y\n");
  ConfigCheck c = check_config("CONFIG_MEMCG=y\n# CONFIG_VIRTIO_PCI is not set\n", required, {"VIRTIO_PCI", "MEMCG"});
  ASSERT_EQ(c.dropped.size(), 1u);
  EXPECT_EQ(c.dropped[0].symbol, "VIRTIO_PCI");
  EXPECT_EQ(c.got["VIRTIO_PCI"], "n");
  EXPECT_EQ(c.absent, std::vector<std::string>{"MEMCG_V1"});
}

TEST(SourceConfig, KconfigSymbolsAndDependencies) {
  Tree t;
  write_text(t.dir / "drivers/virtio/Kconfig",
             "config VIRTIO_PCI\n\ttristate \"PCI driver for virtio devices\"\n\tdepends on PCI\n\tselect VIRTIO\n"
             "\thelp\n\t  depends on nothing said in help text\n\nmenuconfig VIRTIO_MENU\n\tbool \"x\"\n");
  auto symbols = kconfig_symbols(t.dir);
  EXPECT_TRUE(symbols.count("VIRTIO_PCI"));
  EXPECT_TRUE(symbols.count("VIRTIO_MENU"));
  EXPECT_TRUE(symbols.count("X86"));
  EXPECT_EQ(kconfig_depends(t.dir, "VIRTIO_PCI"), "PCI");
}

TEST(ToolchainFixes, BoardTreeOn419NeedsArchFcommonAndSelinux) {
  Tree t;
  Toolchain gcc12{"gcc (Debian 12.2.0-14+deb12u1) 12.2.0", "GNU ld (GNU Binutils for Debian) 2.40", 12, 46};
  auto fixes = fixes_for_tree(t.dir, check_kernel_tree(t.dir, "src:x"), gcc12);
  std::vector<std::string> ids;
  for (const auto& f : fixes) ids.push_back(f.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"arch-override", "hostcflags-fcommon", "selinux-off"}));
  EXPECT_NE(fixes[0].why.find("ARCH = arm"), std::string::npos) << fixes[0].why;
  EXPECT_NE(fixes[2].why.find("PF_MAX <= 45"), std::string::npos) << fixes[2].why;
  FixEffects e = fix_effects(fixes);
  EXPECT_EQ(e.make_vars, std::vector<std::string>{"HOSTCFLAGS=-fcommon"});
  ASSERT_EQ(e.config.size(), 1u);
  EXPECT_EQ(e.config[0].text(), "# CONFIG_SECURITY_SELINUX is not set");
  // A 6.1 tree on the same toolchain needs none of them.
  write_text(t.dir / "Makefile", "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\n");
  write_text(t.dir / "security/selinux/include/classmap.h", "#if PF_MAX > 46\n#error New address family\n#endif\n");
  EXPECT_TRUE(fixes_for_tree(t.dir, check_kernel_tree(t.dir, "src:x"), gcc12).empty());
}

TEST(ToolchainFixes, FailuresAreRecognisedOnce) {
  const std::string objtool =
      "  CC       /o/tools/objtool/help.o\n"
      "help.c: In function 'exclude_cmds':\n"
      "/src/tools/lib/subcmd/help.c:70:17: error: pointer used after 'realloc' [-Werror=use-after-free]\n"
      "cc1: all warnings being treated as errors\n";
  auto fix = fix_for_failure(objtool, {});
  ASSERT_TRUE(fix.has_value());
  EXPECT_EQ(fix->id, "tools-no-werror");
  EXPECT_NE(fix->why.find("help.c:70:17"), std::string::npos);
  EXPECT_FALSE(fix_for_failure(objtool, {"tools-no-werror"}).has_value()) << "an applied fix is not offered again";
  // As 4.19.222's build prints it with gcc 12: the header named bare.
  const std::string bare =
      "  CC       /o/tools/objtool/help.o\n"
      "In file included from help.c:12:\n"
      "subcmd-util.h:56:23: error: pointer may be used after 'realloc' [-Werror=use-after-free]\n";
  ASSERT_TRUE(fix_for_failure(bare, {}).has_value());
  EXPECT_EQ(fix_for_failure(bare, {})->id, "tools-no-werror");
  EXPECT_FALSE(fix_for_failure("mm/slab.c:12:1: error: foo [-Werror=bar]\n", {}).has_value())
      << "a kernel file's -Werror is not a tools fix";
  EXPECT_EQ(fix_for_failure("arch/x86/lib/retpoline.o: warning: objtool: missing symbol table\n", {})->id,
            "skip-stack-validation");
  EXPECT_EQ(fix_for_failure("ld: arch/x86/boot/compressed/pgtable_64.o:(.bss+0x0): multiple definition of "
                            "`__force_order'; arch/x86/boot/compressed/kaslr_64.o:(.bss+0x0): first defined here\n",
                            {})
                ->id,
            "boot-compressed-fcommon");
  EXPECT_FALSE(fix_for_failure("mm/memcontrol.c:4020:9: error: 'iter' undeclared\n", {}).has_value());
}

TEST(KernelMake, FirstErrorIsTheCompilersLine) {
  const std::string log =
      "  CC      mm/memcontrol.o\n"
      "mm/memcontrol.c:4020:9: error: 'iter' undeclared (first use in this function)\n"
      "make[2]: *** [scripts/Makefile.build:250: mm/memcontrol.o] Error 1\n"
      "mm/other.c:1:1: error: later\n";
  EXPECT_EQ(first_build_error(log), "mm/memcontrol.c:4020:9: error: 'iter' undeclared (first use in this function)");
  EXPECT_EQ(first_build_error("make: *** No rule to make target 'bzImage'.  Stop.\n"),
            "make: *** No rule to make target 'bzImage'.  Stop.");
}

}  // namespace
}  // namespace kreg
