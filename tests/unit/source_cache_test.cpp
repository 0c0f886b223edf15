// What a source build is cached under, and the compiler cache under it: the
// cache key follows every input that changes the kernel and nothing else, and
// ccache (the real one, with the real gcc) shares results between two object
// dirs of two copies of one tree, as a bisection's second checkout needs.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "vm/common/process.hpp"
#include "vm/source/build_install.hpp"
#include "vm/source/compiler_cache.hpp"

namespace fs = std::filesystem;

namespace kreg {
namespace {

struct TmpDir {
  fs::path dir;
  TmpDir() {
    char tmpl[] = "/tmp/kreg-source-cache-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TmpDir() { fs::remove_all(dir); }
};

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name, old;
  bool had;
  ScopedEnv(const std::string& n, const char* value) : name(n), had(getenv(n.c_str()) != nullptr) {
    if (had) old = getenv(n.c_str());
    if (value)
      setenv(n.c_str(), value, 1);
    else
      unsetenv(n.c_str());
  }
  ~ScopedEnv() {
    if (had)
      setenv(name.c_str(), old.c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

TEST(SourceBuildKey, FollowsSourcePatchesConfigAndCompiler) {
  const std::string cfg_a(64, 'a'), cfg_b(64, 'b'), patch(64, 'c');
  const std::string key = source_build_key("tarball-sha256:1", {}, cfg_a, "gcc 12 / ld 2.40");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, source_build_key("tarball-sha256:1", {}, cfg_a, "gcc 12 / ld 2.40")) << "same inputs, same key";
  EXPECT_NE(key, source_build_key("tarball-sha256:1", {}, cfg_b, "gcc 12 / ld 2.40")) << "another .config";
  EXPECT_NE(key, source_build_key("tarball-sha256:2", {}, cfg_a, "gcc 12 / ld 2.40")) << "another source";
  EXPECT_NE(key, source_build_key("tarball-sha256:1", {patch}, cfg_a, "gcc 12 / ld 2.40")) << "a patch";
  EXPECT_NE(key, source_build_key("tarball-sha256:1", {}, cfg_a, "gcc 13 / ld 2.40")) << "another compiler";
  EXPECT_NE(source_build_key("t", {patch, cfg_b}, cfg_a, "gcc"), source_build_key("t", {cfg_b, patch}, cfg_a, "gcc"))
      << "patch order";
}

TEST(CompilerCache, BaseDirIsTheDeepestCommonParent) {
  EXPECT_EQ(common_parent("/c/sources/tarball-x/src", "/c/sources/tarball-x/obj"), "/c/sources/tarball-x");
  EXPECT_EQ(common_parent("/c/sources/tarball-x/src/", "/c/sources/tarball-x/obj"), "/c/sources/tarball-x");
  EXPECT_EQ(common_parent("/home/u/linux", "/home/u/linux/build"), "/home/u/linux");
  EXPECT_EQ(common_parent("/home/u/linux", "/var/obj"), "/");
}

TEST(CompilerCache, OnlyWhenOnPathAndNotTurnedOff) {
  TmpDir empty;
  {
    ScopedEnv path("PATH", empty.dir.c_str());
    CompilerCache none = compiler_cache_for("/t/src", "/t/obj");
    EXPECT_FALSE(none.used());
    EXPECT_TRUE(none.env().empty());
    EXPECT_TRUE(none.make_vars().empty());
    EXPECT_EQ(none.record(), nlohmann::json({{"used", false}}));
  }
  ScopedEnv on("KREG_NO_CCACHE", nullptr);
  CompilerCache c = compiler_cache_for("/t/src", "/t/obj");
  ASSERT_TRUE(c.used()) << "ccache is on PATH (./setup.sh installs it)";
  EXPECT_EQ(c.env(), (std::vector<std::string>{"CCACHE_BASEDIR=/t", "CCACHE_NOHASHDIR=1"}));
  EXPECT_EQ(c.make_vars(), (std::vector<std::string>{"CC=ccache gcc", "HOSTCC=ccache gcc"}));
  EXPECT_TRUE(c.record()["used"].get<bool>());
  EXPECT_NE(c.record()["version"].get<std::string>().find("ccache"), std::string::npos);
  ScopedEnv off("KREG_NO_CCACHE", "1");
  EXPECT_FALSE(compiler_cache_for("/t/src", "/t/obj").used());
}

// Two copies of a tree, each built out of tree (O=) as kbuild does: cwd the
// object dir, absolute -I and -fmacro-prefix-map=$(srctree)/=. The second
// compile is a hit only because CCACHE_BASEDIR holds both tree and object dir.
TEST(CompilerCache, SecondCheckoutHitsTheFirstOnesResults) {
  TmpDir tmp;
  auto compile = [&](const std::string& checkout, const std::vector<std::string>& env) {
    const fs::path src = tmp.dir / checkout / "src", obj = tmp.dir / checkout / "obj";
    fs::create_directories(src / "include");
    fs::create_directories(src / "mm");
    fs::create_directories(obj / "mm");
    std::ofstream(src / "include/stat.h") << "#define WALK 4\n";
    std::ofstream(src / "mm/memcontrol.c") << "#include \"stat.h\"\nint walk(void) { return WALK + __LINE__; }\n"
                                              "const char *file(void) { return __FILE__; }\n";
    std::vector<std::string> argv = {"env", "CCACHE_DIR=" + (tmp.dir / "ccache").string()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"ccache", "gcc", "-Wp,-MMD,mm/.memcontrol.o.d", "-I" + (src / "include").string(),
                             "-fmacro-prefix-map=" + src.string() + "/=", "-O2", "-c",
                             (src / "mm/memcontrol.c").string(), "-o", "mm/memcontrol.o"});
    CapturedRun r = run_captured(argv, obj.string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  auto hits = [&] {
    CapturedRun s = run_captured({"env", "CCACHE_DIR=" + (tmp.dir / "ccache").string(), "ccache", "--print-stats"});
    std::smatch m;
    static const std::regex direct(R"((^|\n)direct_cache_hit\t(\d+))"), pre(R"((^|\n)preprocessed_cache_hit\t(\d+))");
    int n = 0;
    if (std::regex_search(s.out, m, direct)) n += std::stoi(m[2]);
    if (std::regex_search(s.out, m, pre)) n += std::stoi(m[2]);
    return n;
  };
  ScopedEnv on("KREG_NO_CCACHE", nullptr);
  const std::string a = (tmp.dir / "a").string(), b = (tmp.dir / "b").string();
  compile("a", compiler_cache_for(a + "/src", a + "/obj").env());
  EXPECT_EQ(hits(), 0);
  compile("b", compiler_cache_for(b + "/src", b + "/obj").env());
  EXPECT_EQ(hits(), 1) << "the second checkout's compile missed the first's result";
  // Without a base dir the absolute paths differ: a miss, which is what the base dir is for.
  compile("c", {"CCACHE_NOHASHDIR=1"});
  EXPECT_EQ(hits(), 1);
}

}  // namespace
}  // namespace kreg
