// A kernel source tree as kreg sees it before building: its version (from
// the top Makefile), whether it is a kernel tree at all, and its content
// identity for the build cache.
#pragma once

#include <compare>
#include <string>
#include <tuple>

namespace kreg {

struct TreeVersion {
  int version = 0, patchlevel = 0, sublevel = 0;
  std::string extraversion;  // "-rc3", "" for releases
  auto operator<=>(const TreeVersion& o) const {
    return std::tie(version, patchlevel, sublevel) <=> std::tie(o.version, o.patchlevel, o.sublevel);
  }
  bool operator==(const TreeVersion& o) const = default;
  bool before(int v, int p, int s = 0) const;  // this < v.p.s
  std::string text() const;                    // "4.19.222", "6.1.192-rc1"
};

// VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION of a top-level Makefile's text;
// nullopt-like result (version 0) when they are missing.
TreeVersion parse_makefile_version(const std::string& makefile_text);

// Throws KregError naming `what` unless `dir` is an x86-capable kernel tree:
// a top Makefile with VERSION and PATCHLEVEL, a top Kconfig and arch/x86/.
TreeVersion check_kernel_tree(const std::string& dir, const std::string& what);

// The tree's content: SHA-256 over every regular file and symlink (path,
// executable bit, bytes or link target) in path order, leaving out .git,
// kreg's own bookkeeping (.kreg) and in-tree build output kbuild refuses
// with O= (.config, include/config, arch/*/include/generated).
// "tree-sha256:<hex>".
std::string tree_content_hash(const std::string& dir);

// Whether a path (relative to the tree's top) is left out of the content.
bool excluded_from_tree(const std::string& relative_path);

}  // namespace kreg
