#include "vm/source/kernel_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "vm/common/error.hpp"
#include "vm/common/sha256.hpp"

namespace fs = std::filesystem;

namespace kreg {

bool TreeVersion::before(int v, int p, int s) const { return *this < TreeVersion{v, p, s, ""}; }

std::string TreeVersion::text() const { return fmt::format("{}.{}.{}{}", version, patchlevel, sublevel, extraversion); }

TreeVersion parse_makefile_version(const std::string& text) {
  TreeVersion v;
  static const std::regex line(R"(^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=[ \t]*(\S*))");
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    const std::string key = m[1], value = m[2];
    auto number = [&] {
      return value.empty() || !std::isdigit(static_cast<unsigned char>(value[0])) ? 0 : std::stoi(value);
    };
    if (key == "VERSION")
      v.version = number();
    else if (key == "PATCHLEVEL")
      v.patchlevel = number();
    else if (key == "SUBLEVEL")
      v.sublevel = number();
    else
      v.extraversion = value;
  }
  return v;
}

TreeVersion check_kernel_tree(const std::string& dir, const std::string& what) {
  if (!fs::exists(dir))
    throw KregError("kernel source " + what +
                    " does not exist (give a kernel source tree or a .tar.xz/.tar.gz of one)");
  if (!fs::is_directory(dir))
    throw KregError("kernel source " + what + " is not a directory or a .tar.xz/.tar.gz/.tar.bz2/.tar tarball");
  std::ifstream makefile(dir + "/Makefile");
  std::stringstream text;
  text << makefile.rdbuf();
  TreeVersion v = parse_makefile_version(text.str());
  std::string missing;
  if (v.version == 0)
    missing = "top-level Makefile with VERSION/PATCHLEVEL";
  else if (!fs::exists(dir + "/Kconfig"))
    missing = "top-level Kconfig";
  else if (!fs::is_directory(dir + "/arch/x86"))
    missing = "arch/x86 directory";
  if (!missing.empty())
    throw KregError("kernel source " + what + " is not a Linux kernel tree (no " + missing +
                    "); give the top directory of a kernel source tree");
  return v;
}

bool excluded_from_tree(const std::string& p) {
  static const std::regex generated(R"(^arch/[^/]+/include/generated(/.*)?$)");
  return p == ".git" || p.rfind(".git/", 0) == 0 || p == ".kreg" || p.rfind(".kreg/", 0) == 0 || p == ".config" ||
         p == "include/config" || p.rfind("include/config/", 0) == 0 || std::regex_match(p, generated);
}

std::string tree_content_hash(const std::string& dir) {
  std::vector<std::pair<std::string, fs::path>> entries;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    if (excluded_from_tree(rel)) {
      if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || it->is_regular_file()) entries.push_back({rel, it->path()});
  }
  std::sort(entries.begin(), entries.end());
  Sha256 tree;
  std::vector<char> buf(1 << 16);
  for (const auto& [rel, path] : entries) {
    // Each file contributes its path, kind and the hash of its bytes, so no
    // boundary between files is ambiguous.
    std::string kind, digest;
    if (fs::is_symlink(path)) {
      kind = "l";
      digest = sha256_text(fs::read_symlink(path).string());
    } else {
      kind = (fs::status(path).permissions() & fs::perms::owner_exec) != fs::perms::none ? "x" : "f";
      digest = sha256_file(path);
    }
    tree.update(kind + " " + digest + " " + rel + "\n");
  }
  return "tree-sha256:" + tree.hex();
}

}  // namespace kreg
