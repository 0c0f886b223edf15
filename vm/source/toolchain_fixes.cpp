#include "vm/source/toolchain_fixes.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/common/text_file.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The first line of `text` matching `re`, trimmed.
std::optional<std::string> line_matching(const std::string& text, const std::regex& re) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, re)) {
      line.erase(0, line.find_first_not_of(" \t"));
      return line;
    }
  return std::nullopt;
}

// Top Makefile assignments of ARCH / CROSS_COMPILE that a command line must beat.
std::string hard_coded_arch(const std::string& makefile) {
  static const std::regex assign(R"(^(ARCH|CROSS_COMPILE)\s*:?=\s*(\S+))");
  std::string out;
  std::istringstream in(makefile);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, assign) && m[2].str().rfind("$(", 0) != 0)
      out += (out.empty() ? "" : ", ") + m[1].str() + " = " + m[2].str();
  }
  return out;
}

int classmap_pf_max(const std::string& tree) {
  static const std::regex check(R"(#if\s+PF_MAX\s*>\s*(\d+))");
  std::smatch m;
  const std::string text = read_file_or_empty(tree + "/security/selinux/include/classmap.h");
  return std::regex_search(text, m, check) ? std::stoi(m[1]) : 0;
}

// Removes every "-Werror" word from a Makefile (leaves -Werror=... alone).
void drop_werror(const std::string& path) {
  static const std::regex werror(R"((^|\s)-Werror(?=\s|$))");
  std::string text = read_file_or_empty(path);
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += std::regex_replace(line, werror, "$1") + "\n";
  write_text(path, out);
}

struct FailureRule {
  const char* id;
  const char* pattern;
};

// Recognised failures, in the order a build meets them.
const FailureRule kFailureRules[] = {
    {"selinux-off", R"(#error New address family defined)"},
    // 4.19.222's objtool build names the header bare ("subcmd-util.h:56:23:
    // error: ..."), so the files of tools/lib/subcmd are matched by name too.
    {"tools-no-werror",
     R"((tools/(objtool|lib/subcmd)/\S*|(subcmd-util|subcmd-config|exec-cmd|help|pager|parse-options|run-command|sigchain)\.[ch]):\d+:\d+: error: .*\[-Werror)"},
    {"hostcflags-fcommon", R"(multiple definition of .yylloc')"},
    {"boot-compressed-fcommon", R"(multiple definition of .__force_order')"},
    {"skip-stack-validation", R"(missing symbol table)"},
};

ToolchainFix describe(const std::string& id, const std::string& why) {
  if (id == "arch-override") return {id, "make ARCH=x86_64 CROSS_COMPILE= on the command line", why};
  if (id == "hostcflags-fcommon") return {id, "HOSTCFLAGS=-fcommon", why};
  if (id == "selinux-off") return {id, "# CONFIG_SECURITY_SELINUX is not set", why};
  if (id == "tools-no-werror") return {id, "no -Werror in tools/objtool/Makefile and tools/lib/subcmd/Makefile", why};
  if (id == "skip-stack-validation") return {id, "SKIP_STACK_VALIDATION=1", why};
  if (id == "boot-compressed-fcommon")
    return {id, "KBUILD_CFLAGS += -fcommon in arch/x86/boot/compressed/Makefile", why};
  throw std::logic_error("unknown toolchain fix " + id);
}

}  // namespace

Toolchain host_toolchain() {
  Toolchain tc;
  CapturedRun cc = run_captured({"gcc", "--version"}), ld = run_captured({"ld", "--version"});
  if (cc.exit_code != 0 || ld.exit_code != 0)
    throw KregError("building a kernel needs gcc and binutils (run ./setup.sh: build-essential)");
  tc.cc = first_line(cc.out);
  tc.ld = first_line(ld.out);
  std::smatch m;
  static const std::regex major(R"((\d+)\.\d+\.\d+)");
  if (std::regex_search(tc.cc, m, major)) tc.cc_major = std::stoi(m[1]);
  static const std::regex pf(R"(#define\s+PF_MAX\s+(\d+))");
  for (const char* header : {"/usr/include/x86_64-linux-gnu/bits/socket.h", "/usr/include/bits/socket.h"}) {
    const std::string text = read_file_or_empty(header);
    if (std::regex_search(text, m, pf)) {
      tc.host_pf_max = std::stoi(m[1]);
      break;
    }
  }
  return tc;
}

std::vector<ToolchainFix> fixes_for_tree(const std::string& tree, const TreeVersion& v, const Toolchain& tc) {
  std::vector<ToolchainFix> out;
  if (std::string arch = hard_coded_arch(read_file_or_empty(tree + "/Makefile")); !arch.empty())
    out.push_back(describe("arch-override", "the top Makefile hard-codes " + arch));
  if (v.before(5, 7) && tc.cc_major >= 10)
    out.push_back(describe("hostcflags-fcommon", v.text() + " predates 5.7's -fno-common clean-up of host tools and " +
                                                     tc.cc + " defaults to -fno-common"));
  if (int tree_max = classmap_pf_max(tree); tree_max > 0 && tc.host_pf_max > tree_max)
    out.push_back(describe("selinux-off", "security/selinux/include/classmap.h allows PF_MAX <= " +
                                              std::to_string(tree_max) + " but the host's glibc defines " +
                                              std::to_string(tc.host_pf_max) + " (#error New address family defined)"));
  return out;
}

std::optional<ToolchainFix> fix_for_failure(const std::string& log, const std::set<std::string>& applied) {
  for (const auto& rule : kFailureRules) {
    if (applied.count(rule.id)) continue;
    if (auto line = line_matching(log, std::regex(rule.pattern)))
      return describe(rule.id, "the build failed with: " + *line);
  }
  return std::nullopt;
}

FixEffects fix_effects(const std::vector<ToolchainFix>& fixes) {
  FixEffects e;
  for (const auto& f : fixes) {
    if (f.id == "hostcflags-fcommon") e.make_vars.push_back("HOSTCFLAGS=-fcommon");
    if (f.id == "skip-stack-validation") e.make_vars.push_back("SKIP_STACK_VALIDATION=1");
    if (f.id == "selinux-off") e.config.push_back({"SECURITY_SELINUX", "n"});
    if (f.id == "tools-no-werror")
      e.edits.push_back(
          {"fix tools-no-werror", {"tools/objtool/Makefile", "tools/lib/subcmd/Makefile"}, [](const std::string& tree) {
             for (const char* mk : {"/tools/objtool/Makefile", "/tools/lib/subcmd/Makefile"})
               if (fs::exists(tree + mk)) drop_werror(tree + mk);
           }});
    if (f.id == "boot-compressed-fcommon")
      e.edits.push_back(
          {"fix boot-compressed-fcommon", {"arch/x86/boot/compressed/Makefile"}, [](const std::string& tree) {
             const std::string mk = tree + "/arch/x86/boot/compressed/Makefile";
             write_text(mk, read_file_or_empty(mk) +
                                "\n# kreg: gcc 10+ defaults to -fno-common; this tree defines "
                                "__force_order twice\nKBUILD_CFLAGS += -fcommon\n");
           }});
  }
  return e;
}

}  // namespace kreg
