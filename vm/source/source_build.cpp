#include "vm/source/source_build.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "vm/common/error.hpp"
#include "vm/common/file_lock.hpp"
#include "vm/common/sha256.hpp"
#include "vm/common/text_file.hpp"
#include "vm/source/build_install.hpp"
#include "vm/source/compiler_cache.hpp"
#include "vm/source/config_fragment.hpp"
#include "vm/source/kernel_config.hpp"
#include "vm/source/kernel_make.hpp"
#include "vm/source/kernel_tree.hpp"
#include "vm/source/patch_file.hpp"
#include "vm/source/toolchain_fixes.hpp"
#include "vm/source/tree_edits.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

constexpr int kMaxFixRounds = 6;

void write_if_changed(const std::string& path, const std::string& text) {
  if (fs::exists(path) && read_file_or_empty(path) == text) return;  // keep its mtime: no needless rebuild
  std::ofstream(path, std::ios::trunc) << text;
}

std::string stamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

void note(const std::string& line) { std::fprintf(stderr, "kreg: %s\n", line.c_str()); }

}  // namespace

struct KernelSourceBuild::Impl {
  SourceBuildRequest r;
  bool prepared = false;
  TreeVersion version;
  std::vector<PatchFile> patches;
  Toolchain toolchain;
  CompilerCache ccache;  // on PATH or not; never part of a key (same objects either way)
  std::vector<ConfigLine> fragment;
  std::vector<ToolchainFix> fixes;
  std::string input_key, final_config, key;
  std::vector<std::string> absent;  // fragment symbols this version lacks
  std::optional<std::string> cached_key;

  // One build at a time per tree, whoever builds it (<tree>.lock beside it).
  std::string lock_path() const { return r.tree + ".lock"; }

  std::vector<std::string> make_prefix() const {
    int jobs = r.jobs > 0 ? r.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::string> argv = {"env", "LC_ALL=C"};
    for (const auto& e : ccache.env()) argv.push_back(e);
    argv.insert(argv.end(), {"make", "-C", r.tree, "O=" + r.object_dir, "ARCH=x86_64", "CROSS_COMPILE=",
                             "-j" + std::to_string(jobs), "KBUILD_BUILD_USER=kreg", "KBUILD_BUILD_HOST=kreg"});
    for (const auto& v : ccache.make_vars()) argv.push_back(v);
    for (const auto& v : fix_effects(fixes).make_vars) argv.push_back(v);
    return argv;
  }

  std::vector<TreeEdit> edits() const {
    std::vector<TreeEdit> out;
    for (const auto& p : patches)
      out.push_back(
          {"patch " + p.sha256 + " " + p.path, p.files(), [p](const std::string& tree) { apply_patch(p, tree); }});
    for (auto& e : fix_effects(fixes).edits) out.push_back(e);
    return out;
  }

  std::vector<ConfigLine> required() const {
    std::vector<ConfigLine> out = fragment;
    for (const auto& l : fix_effects(fixes).config) out.push_back(l);
    return out;
  }

  std::set<std::string> fix_ids() const {
    std::set<std::string> ids;
    for (const auto& f : fixes) ids.insert(f.id);
    return ids;
  }

  // Fixes an earlier build of this tree had to learn from a failure.
  std::vector<ToolchainFix> learned_fixes() const {
    std::vector<ToolchainFix> out;
    nlohmann::json j = nlohmann::json::parse(read_file_or_empty(r.state_dir + "/learned_fixes.json"), nullptr, false);
    if (j.is_array())
      for (const auto& f : j)
        out.push_back({f.value("id", ""), f.value("what", ""),
                       "learned from an earlier build of this tree: " + f.value("why", "")});
    return out;
  }

  void learn(const ToolchainFix& fix) const {
    nlohmann::json j = nlohmann::json::parse(read_file_or_empty(r.state_dir + "/learned_fixes.json"), nullptr, false);
    if (!j.is_array()) j = nlohmann::json::array();
    j.push_back({{"id", fix.id}, {"what", fix.what}, {"why", fix.why}});
    std::ofstream(r.state_dir + "/learned_fixes.json", std::ios::trunc) << j.dump(2) << "\n";
  }

  nlohmann::json base_json() const {
    if (r.base_config.empty()) return {{"name", "x86_64_defconfig"}};
    return {{"path", r.base_config}, {"sha256", sha256_file(r.base_config)}};
  }

  // Contents, not paths: the same patch or config elsewhere is the same input.
  std::vector<std::string> patch_shas() const {
    std::vector<std::string> out;
    for (const auto& p : patches) out.push_back(p.sha256);
    return out;
  }

  // What a request is made of, before anything is configured: a second
  // request with the same inputs finds its kernel through this key alone.
  std::string inputs_key() const {
    return json_key({{"recipe", kSourceBuildRecipe},
                     {"source", r.source_id},
                     {"patches", patch_shas()},
                     {"base", r.base_config.empty() ? "x86_64_defconfig" : sha256_file(r.base_config)},
                     {"fragment", sha256_text(kreg_config_fragment())},
                     {"toolchain", toolchain.id()},
                     {"fixes", fix_ids()}});
  }

  // The cache key: source, patches, the final .config, the toolchain.
  std::string cache_key(const std::string& config_sha256) const {
    return source_build_key(r.source_id, patch_shas(), config_sha256, toolchain.id());
  }

  nlohmann::json patches_json() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : patches) out.push_back({{"path", p.path}, {"sha256", p.sha256}});
    return out;
  }

  void run_config_make(const std::string& target, const std::string& log) const {
    std::vector<std::string> argv = make_prefix();
    argv.push_back(target);
    MakeResult m = run_kernel_make(argv, log, r.what + " " + target);
    if (m.exit_code != 0)
      throw KregError("make " + target + " failed for " + r.what + ": " + first_build_error(read_file_or_empty(log)) +
                      " (log: " + log + ")");
  }

  // Base + fragment (+ fixes' config lines), olddefconfig, and the check.
  void configure() {
    const std::string log = r.state_dir + "/logs/" + stamp() + "-config.log";
    if (r.base_config.empty())
      run_config_make("x86_64_defconfig", log);
    else
      fs::copy_file(r.base_config, r.object_dir + "/.config", fs::copy_options::overwrite_existing);
    const std::vector<ConfigLine> want = required();
    const std::string merged = merge_config(read_file_or_empty(r.object_dir + "/.config"), want);
    std::ofstream(r.object_dir + "/.config", std::ios::trunc) << merged;
    run_config_make("olddefconfig", log);
    final_config = read_file_or_empty(r.object_dir + "/.config");
    ConfigCheck check = check_config(final_config, want, kconfig_symbols(r.tree));
    if (!check.dropped.empty()) {
      std::string names;
      for (const auto& d : check.dropped) {
        std::string deps = kconfig_depends(r.tree, d.symbol);
        names += (names.empty() ? "" : "; ") + d.text() + " (now " +
                 (check.got[d.symbol] == "n" ? std::string("not set") : check.got[d.symbol]) + ")" +
                 (deps.empty() ? "" : ", Kconfig: depends on " + deps);
      }
      const std::string base = r.base_config.empty() ? "x86_64_defconfig" : "base config " + r.base_config;
      throw KregError(r.what + ": olddefconfig dropped what kreg needs from " + base + " + kreg's fragment: " + names +
                      " (enable the dependencies in the base config)");
    }
    absent = check.absent;
    for (const auto& a : absent)
      note(fmt::format("warning: {}: CONFIG_{} does not exist in {} (kreg's fragment asks for it; recorded)", r.what, a,
                       version.text()));
  }
};

KernelSourceBuild::KernelSourceBuild(SourceBuildRequest request) : impl_(std::make_unique<Impl>()) {
  impl_->r = std::move(request);
  fs::create_directories(impl_->r.state_dir + "/logs");
  fs::create_directories(impl_->r.object_dir);
  fs::create_directories(impl_->r.kernels_dir);
}

KernelSourceBuild::~KernelSourceBuild() = default;

bool KernelSourceBuild::cached() const { return impl_->cached_key.has_value(); }

void KernelSourceBuild::prepare() {
  Impl& s = *impl_;
  const SourceBuildRequest& r = s.r;
  s.version = check_kernel_tree(r.tree, r.what);
  s.patches.clear();
  for (const auto& p : r.patches) s.patches.push_back(read_patch_file(p));
  if (!r.base_config.empty() && !fs::is_regular_file(r.base_config))
    throw KregError("base config " + r.base_config + " for " + r.what + " does not exist");
  s.toolchain = host_toolchain();
  s.ccache = compiler_cache_for(r.tree, r.object_dir);
  s.fragment = parse_config_lines(kreg_config_fragment());
  s.fixes = fixes_for_tree(r.tree, s.version, s.toolchain);
  for (const auto& f : s.learned_fixes())
    if (!s.fix_ids().count(f.id)) s.fixes.push_back(f);
  s.input_key = s.inputs_key();
  s.prepared = true;
  if ((s.cached_key = lookup_input(r.state_dir, s.input_key, r.kernels_dir))) return;  // built before: no work

  // A patch that does not apply is bad input: say so before waiting for the
  // tree's lock, which another build may hold for its whole make. Reading
  // the originals needs no lock: edits.json is written before any file
  // changes, and a pristine copy never changes once saved.
  {
    TreeEdits unlocked(r.tree);
    check_patch_series(
        s.patches, [&](const std::string& rel) { return unlocked.original(rel); }, r.what);
  }
  FileLock lock(s.lock_path());
  TreeEdits tree_edits(r.tree);
  tree_edits.set(s.edits());
  s.configure();
  s.key = s.cache_key(sha256_text(s.final_config));
  if (fs::exists(r.kernels_dir + "/" + s.key + "/build.json")) {
    remember_input(r.state_dir, s.input_key, s.key);
    s.cached_key = s.key;
  }
}

SourceBuild KernelSourceBuild::build() {
  Impl& s = *impl_;
  const SourceBuildRequest& r = s.r;
  if (!s.prepared) prepare();
  if (s.cached_key) {
    SourceBuild b = read_source_build(r.kernels_dir + "/" + *s.cached_key);
    b.cached = true;
    note(fmt::format("{}: built before with the same inputs (cache {}): no build", r.what, b.dir));
    return b;
  }
  FileLock lock(s.lock_path());
  TreeEdits tree_edits(r.tree);
  tree_edits.set(s.edits());  // another kernel of this tree may have been prepared since
  write_if_changed(r.object_dir + "/.config", s.final_config);

  nlohmann::json previous =
      nlohmann::json::parse(read_file_or_empty(r.object_dir + "/.kreg-built.json"), nullptr, false);
  const bool reused = fs::exists(r.object_dir + "/vmlinux") && previous.is_object();
  if (reused)
    note(fmt::format("{}: reusing the object tree {} (last built: {}, {} patch(es)): incremental build", r.what,
                     r.object_dir, previous.value("source", "?"),
                     previous.value("patches", nlohmann::json::array()).size()));
  nlohmann::json full = nlohmann::json::parse(read_file_or_empty(r.state_dir + "/full_build.json"), nullptr, false);
  const int expected = reused || !full.is_object() ? 0 : full.value("files_compiled", 0);

  std::vector<std::string> targets = {"bzImage"};
  if (s.final_config.find("=m\n") != std::string::npos) targets.push_back("modules");
  const std::string log = r.state_dir + "/logs/" + stamp() + "-build.log";
  double wall = 0;
  int compiled = 0;
  for (int round = 0;; ++round) {
    std::vector<std::string> argv = s.make_prefix();
    argv.insert(argv.end(), targets.begin(), targets.end());
    MakeResult m = run_kernel_make(argv, log, s.version.text() + " (" + r.what + ")", expected);
    wall += m.wall_s;
    compiled += m.compiled;
    if (m.exit_code == 0) break;
    const std::string text = read_file_or_empty(log);
    auto fix = fix_for_failure(text, s.fix_ids());
    if (!fix || round >= kMaxFixRounds)
      throw KregError("kernel build of " + r.what + " failed: " + first_build_error(text) + " (log: " + log + ")");
    note(fmt::format("{}: applying toolchain fix {} ({}): {}", r.what, fix->id, fix->what, fix->why));
    s.fixes.push_back(*fix);
    s.learn(*fix);
    tree_edits.set(s.edits());
    if (!fix_effects({*fix}).config.empty()) s.configure();
    std::error_code ec;
    fs::rename(log, log + "." + std::to_string(round + 1), ec);  // keep the failed attempt's log
  }
  s.final_config = read_file_or_empty(r.object_dir + "/.config");
  const std::string config_sha = sha256_text(s.final_config);
  s.key = s.cache_key(config_sha);
  s.input_key = s.inputs_key();  // with the fixes learned on the way, as the next request computes it
  nlohmann::json fixes = nlohmann::json::array();
  for (const auto& f : s.fixes) fixes.push_back({{"id", f.id}, {"what", f.what}, {"why", f.why}});
  nlohmann::json record = {{"schema", "kreg.source_build"},
                           {"source", r.what},
                           {"source_id", r.source_id},
                           {"version", s.version.text()},
                           {"release", first_line(read_file_or_empty(r.object_dir + "/include/config/kernel.release"))},
                           {"patches", s.patches_json()},
                           {"base_config", s.base_json()},
                           {"fragment_sha256", sha256_text(kreg_config_fragment())},
                           {"config_warnings", nlohmann::json::array()},
                           {"fixes", fixes},
                           {"toolchain", {{"cc", s.toolchain.cc}, {"ld", s.toolchain.ld}}},
                           {"make", s.make_prefix()},
                           {"ccache", s.ccache.record()},
                           {"object_dir", r.object_dir},
                           {"incremental", reused},
                           {"reused_object_tree", reused ? previous : nlohmann::json()},
                           {"files_compiled", compiled},
                           {"build_wall_s", wall},
                           {"input_key", s.input_key},
                           {"log", log}};
  for (const auto& a : s.absent)
    record["config_warnings"].push_back("CONFIG_" + a + " does not exist in " + s.version.text());
  SourceBuild b = install_build(r.tree, r.object_dir, r.kernels_dir, s.key, log, record, s.make_prefix());
  remember_input(r.state_dir, s.input_key, s.key);
  std::ofstream(r.object_dir + "/.kreg-built.json", std::ios::trunc) << nlohmann::json{{"source", r.what},
                                                                                       {"patches", s.patches_json()},
                                                                                       {"config_sha256", config_sha},
                                                                                       {"key", s.key}}
                                                                            .dump(2)
                                                                     << "\n";
  if (!reused)
    std::ofstream(r.state_dir + "/full_build.json", std::ios::trunc)
        << nlohmann::json{{"files_compiled", compiled}}.dump() << "\n";
  note(fmt::format("{}: built {} in {:.0f} s ({} files compiled{}, {}) -> {}", r.what, b.release, wall, compiled,
                   reused ? ", incremental" : "",
                   s.ccache.used() ? "ccache, base dir " + s.ccache.base_dir : "without ccache", b.dir));
  return b;
}

SourceBuild build_kernel_source(const SourceBuildRequest& request) {
  KernelSourceBuild b(request);
  b.prepare();
  return b.build();
}

void restore_source_tree(const std::string& tree) { TreeEdits(tree).restore(); }

}  // namespace kreg
