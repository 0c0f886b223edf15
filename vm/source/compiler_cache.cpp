#include "vm/source/compiler_cache.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "vm/common/process.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate)) return candidate;
  }
  return "";
}

}  // namespace

std::string common_parent(const std::string& a, const std::string& b) {
  const fs::path pa = fs::absolute(a).lexically_normal(), pb = fs::absolute(b).lexically_normal();
  fs::path out;
  for (auto ia = pa.begin(), ib = pb.begin(); ia != pa.end() && ib != pb.end() && *ia == *ib; ++ia, ++ib) {
    if (ia->empty()) break;  // the trailing "" of "dir/"
    out /= *ia;
  }
  return out.empty() ? "/" : out.string();
}

CompilerCache compiler_cache_for(const std::string& tree, const std::string& object_dir) {
  CompilerCache c;
  const char* off = std::getenv("KREG_NO_CCACHE");
  if (off && *off && std::string(off) != "0") return c;
  c.ccache = on_path("ccache");
  if (c.ccache.empty()) return c;
  CapturedRun v = run_captured({c.ccache, "--version"});
  c.version = v.out.substr(0, v.out.find('\n'));
  c.base_dir = common_parent(tree, object_dir);
  return c;
}

std::vector<std::string> CompilerCache::env() const {
  if (!used()) return {};
  // NOHASHDIR: the object dir is the compiler's cwd; hashing it would keep
  // another checkout's build from every hit when debug info is on.
  return {"CCACHE_BASEDIR=" + base_dir, "CCACHE_NOHASHDIR=1"};
}

std::vector<std::string> CompilerCache::make_vars() const {
  if (!used()) return {};
  return {"CC=ccache gcc", "HOSTCC=ccache gcc"};
}

nlohmann::json CompilerCache::record() const {
  if (!used()) return {{"used", false}};
  return {{"used", true}, {"path", ccache}, {"version", version}, {"base_dir", base_dir}};
}

}  // namespace kreg
