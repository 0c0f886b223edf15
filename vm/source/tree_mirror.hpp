// kreg never writes into a user's source tree: a src:DIR kernel is built
// from a mirror of it in the cache, kept up to date with rsync so that a
// one-file edit in the user's tree is a one-file change in the mirror (and
// a one-file rebuild in the object tree).
#pragma once

#include <string>

namespace kreg {

// Makes `to` hold what `from` holds (kernel_tree.hpp's exclusions left out
// on both sides). Files are compared by content, and a copied file gets
// the time of the copy: make then rebuilds exactly what changed, even when
// the user's file carries an older mtime than the object built from a
// previous version. Throws KregError with rsync's message on failure.
void mirror_tree(const std::string& from, const std::string& to);

}  // namespace kreg
