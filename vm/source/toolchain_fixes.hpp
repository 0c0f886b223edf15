// Old trees and today's toolchain (Debian 12: gcc 12, binutils 2.40, glibc
// 2.36). Each fix is applied only to a tree that needs it: by its version,
// by inspecting the tree, or by recognising the failure it cures in a build
// log (then the build is resumed with it). Every fix applied is recorded
// with the reason, in kernel.json and in every record: never silently.
//
//   arch-override            make ARCH=x86_64 CROSS_COMPILE= beats a top Makefile
//                            that hard-codes ARCH=arm and a cross compiler (board trees)
//   hostcflags-fcommon       HOSTCFLAGS=-fcommon: before 5.7, host tools define
//                            globals in headers; gcc 10+ defaults to -fno-common
//   selinux-off              SELinux's classmap.h stops with "#error New address family
//                            defined" when the host's PF_MAX is above the tree's
//   tools-no-werror          no -Werror in tools/objtool and tools/lib/subcmd (gcc 12's
//                            -Wuse-after-free in old libsubcmd)
//   skip-stack-validation    SKIP_STACK_VALIDATION=1: early 4.19.y objtool stops on
//                            thunk_64.o with "missing symbol table" (binutils 2.40)
//   boot-compressed-fcommon  -fcommon in arch/x86/boot/compressed: early 4.19.y defines
//                            __force_order twice
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vm/source/kernel_config.hpp"
#include "vm/source/kernel_tree.hpp"
#include "vm/source/tree_edits.hpp"

namespace kreg {

struct Toolchain {
  std::string cc;       // `gcc --version`'s first line
  std::string ld;       // `ld --version`'s first line
  int cc_major = 0;     // 12
  int host_pf_max = 0;  // PF_MAX of the host's <bits/socket.h> (46 on glibc 2.36), 0 if unknown
  std::string id() const { return cc + " / " + ld; }
};
Toolchain host_toolchain();

struct ToolchainFix {
  std::string id;    // e.g. "selinux-off"
  std::string what;  // what it does, e.g. "# CONFIG_SECURITY_SELINUX is not set"
  std::string why;   // the evidence: version, tree contents or the build error it cures
};

// Fixes this tree needs before it is built, from its version and contents.
std::vector<ToolchainFix> fixes_for_tree(const std::string& tree, const TreeVersion& version, const Toolchain& tc);

// The fix that cures a failed build, judged by its log, unless it is in
// `applied` already; nullopt when kreg knows none.
std::optional<ToolchainFix> fix_for_failure(const std::string& log, const std::set<std::string>& applied);

// What a set of fixes does to the make command line, the config and the tree.
struct FixEffects {
  std::vector<std::string> make_vars;  // "HOSTCFLAGS=-fcommon", ...
  std::vector<ConfigLine> config;      // lines merged after kreg's fragment
  std::vector<TreeEdit> edits;         // applied after the user's patches
};
FixEffects fix_effects(const std::vector<ToolchainFix>& fixes);

}  // namespace kreg
