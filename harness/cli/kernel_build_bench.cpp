#include "harness/cli/kernel_build_bench.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/term/text_table.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/source_kernel.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A one-file change as a patch: a comment appended to init/version.c.
std::string one_file_patch(const std::string& tree, const std::string& dir) {
  const std::string original = tree + "/init/version.c";
  std::ifstream in(original);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) throw KregError(original + " is missing: cannot make the one-file change");
  const std::string changed = dir + "/version.c";
  std::ofstream(changed) << text << "/* kreg kernels bench: a one-file change */\n";
  CapturedRun d =
      run_captured({"diff", "-u", "--label", "a/init/version.c", "--label", "b/init/version.c", original, changed});
  if (d.exit_code != 1) throw KregError("diff of init/version.c failed: " + d.err);
  const std::string patch = dir + "/one-file-change.patch";
  std::ofstream(patch) << d.out;
  return patch;
}

}  // namespace

int kernel_build_bench(const KernelsOptions& o, const std::string& cache_dir) {
  if (o.specs.size() != 1 || !KernelSpec(o.specs[0]).is_source())
    throw KregError("kreg kernels bench takes one source kernel: src:PATH or debian-source:<suite>[:<version>]");
  KernelSpec spec(o.specs[0]);
  for (const auto& p : o.patches) spec.patches.push_back(fs::absolute(p).string());
  if (!o.config.empty()) spec.config = fs::absolute(o.config).string();
  check_kernel_spec(spec);

  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  const std::string scratch = cache_dir + "/bench/" + stamp;
  auto t = std::chrono::steady_clock::now();
  SourceBuildRequest r = source_build_request(spec, cache_dir);
  const double source_s = seconds_since(t);
  r.object_dir = scratch + "/obj";
  r.kernels_dir = scratch + "/kernels";
  r.state_dir = scratch + "/state";

  struct Step {
    std::string name;
    double wall_s = 0, make_s = 0;
    int compiled = 0;
    bool cached = false;
  };
  std::vector<Step> steps;
  auto build = [&](const std::string& name, const SourceBuildRequest& req) {
    std::fprintf(stderr, "kreg: bench: %s build of %s\n", name.c_str(), req.what.c_str());
    auto start = std::chrono::steady_clock::now();
    SourceBuild b = build_kernel_source(req);
    Step s{name, seconds_since(start), b.cached ? 0.0 : b.record.value("build_wall_s", 0.0),
           b.cached ? 0 : b.record.value("files_compiled", 0), b.cached};
    steps.push_back(s);
    return b;
  };
  SourceBuild cold = build("cold", r);
  build("cached", r);
  SourceBuildRequest changed = r;
  changed.patches.push_back(one_file_patch(r.tree, scratch));
  build("incremental", changed);
  restore_source_tree(r.tree);

  nlohmann::json out = {{"schema", "kreg.build_bench"},
                        {"source", r.what},
                        {"source_id", r.source_id},
                        {"release", cold.release},
                        {"config_sha256", cold.record.value("config_sha256", "")},
                        {"toolchain", cold.record.value("toolchain", nlohmann::json())},
                        {"jobs", std::thread::hardware_concurrency()},
                        {"source_ready_s", source_s},
                        {"steps", nlohmann::json::array()}};
  std::vector<std::vector<std::string>> rows = {{"BUILD", "WALL", "MAKE", "FILES COMPILED", "NOTE"}};
  for (const auto& s : steps) {
    out["steps"].push_back({{"name", s.name},
                            {"wall_s", s.wall_s},
                            {"make_s", s.make_s},
                            {"files_compiled", s.compiled},
                            {"cached", s.cached}});
    rows.push_back({s.name, fmt::format("{:.1f} s", s.wall_s), s.cached ? "-" : fmt::format("{:.1f} s", s.make_s),
                    std::to_string(s.compiled), s.cached ? "found in the cache: no work" : ""});
  }
  std::ofstream(scratch + "/build-bench.json") << out.dump(2) << "\n";
  std::printf("kernel build benchmark: %s (%s), x86_64_defconfig%s + kreg's fragment, make -j%u, %s\n", r.what.c_str(),
              cold.release.c_str(), (spec.config.empty() ? std::string() : " (base " + spec.config + ")").c_str(),
              std::thread::hardware_concurrency(), cold.record["toolchain"].value("cc", "").c_str());
  std::printf("source ready (download/unpack, or cached) in %.1f s\n%s", source_s, format_columns(rows).c_str());
  std::printf("figures: %s\n", (scratch + "/build-bench.json").c_str());
  // The scratch object tree is large; the figures stay.
  fs::remove_all(scratch + "/obj");
  fs::remove_all(scratch + "/kernels");
  return 0;
}

}  // namespace kreg
