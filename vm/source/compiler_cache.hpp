// ccache for kernel builds, when it is on PATH. Two out-of-tree builds of the
// same source in different directories (another checkout for a bisection, a
// second cache) then share compiler results: CCACHE_BASEDIR is the deepest
// directory holding both the tree and the object dir, so ccache rewrites the
// absolute paths kbuild passes (-I, -fmacro-prefix-map=$(srctree)/=) into
// paths relative to the object dir, which are the same in both places.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kreg {

struct CompilerCache {
  std::string ccache;    // its path, "" when ccache is not on PATH
  std::string version;   // `ccache --version`'s first line
  std::string base_dir;  // CCACHE_BASEDIR
  bool used() const { return !ccache.empty(); }
  // Environment for make ("CCACHE_BASEDIR=...", "CCACHE_NOHASHDIR=1").
  std::vector<std::string> env() const;
  // make variables: CC="ccache gcc" HOSTCC="ccache gcc".
  std::vector<std::string> make_vars() const;
  // What build.json records: {"used": false} or the path, version, base dir.
  nlohmann::json record() const;
};

// ccache on PATH (KREG_NO_CCACHE=1 turns it off) for a build of `tree` into `object_dir`.
CompilerCache compiler_cache_for(const std::string& tree, const std::string& object_dir);

// The deepest directory that holds both paths (both made absolute): "/" at worst.
std::string common_parent(const std::string& a, const std::string& b);

}  // namespace kreg
