// A kernel source tarball (.tar.xz, .tar.gz, .tar.bz2, .tar) unpacked into
// kreg's cache: the tree kreg patches and builds, never the user's file.
#pragma once

#include <string>

#include "vm/source/kernel_tree.hpp"

namespace kreg {

// Whether a path names a tarball kreg unpacks (by its name).
bool is_kernel_tarball_name(const std::string& path);

// Unpacks `tarball` into `dest` (which must not exist), dropping the
// tarball's top directory ("linux-6.1/Makefile" -> dest/Makefile) and any
// in-tree build output (kernel_tree.hpp's exclusions). Unpacks into
// dest.partial first, so an interrupted run leaves no half tree behind.
// Throws KregError naming `what` when the archive is unreadable or is not a
// kernel tree (check_kernel_tree), leaving nothing behind.
TreeVersion unpack_kernel_tarball(const std::string& tarball, const std::string& dest, const std::string& what);

}  // namespace kreg
