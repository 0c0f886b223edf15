#include "harness/cli/plan_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/plan_file.hpp"
#include "harness/store/result_store.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

int plan_command(const PlanOptions& options) {
  const RunOptions& o = options.run;
  if (options.shards < 1) throw KregError("--shards N is required and must be at least 1");
  if (o.accel != "auto" && o.accel != "kvm" && o.accel != "tcg")
    throw KregError("--accel " + o.accel + " is not auto, kvm or tcg");
  Suite suite = apply_overrides(load_suite(o.suite), o);
  std::string plan_id = o.run_id.empty() ? make_run_id(suite.name) : o.run_id;
  std::string out = options.out.empty() ? o.results_root + "/" + plan_id + "/plan.json" : options.out;
  if (fs::exists(out)) throw KregError("plan file " + out + " already exists (choose another --out or --run-id)");
  // Before any download: the unit count does not depend on which kernels they are.
  size_t units = plan_matrix(suite, std::vector<std::string>(suite.kernels.size(), "k")).size();
  if (static_cast<size_t>(options.shards) > units)
    throw KregError(fmt::format("--shards {} but suite {} has only {} units (each shard needs at least one)",
                                options.shards, suite.name, units));
  std::string cache_dir = resolve_cache_dir(o.cache_dir);
  ResolvedKernels kernels = resolve_suite_kernels(suite, cache_dir);
  nlohmann::json plan = make_plan(suite, kernels.json, plan_id, o.accel, options.shards, options.vms_per_shard);
  std::error_code ec;
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path(), ec);
  write_file_atomically(out, plan.dump(2) + "\n");

  std::fprintf(stderr, "kreg: plan %s: suite %s, %zu kernels, %zu units in %d shards (accelerator %s)\n",
               plan_id.c_str(), suite.name.c_str(), kernels.images.size(), plan["units"].size(), options.shards,
               o.accel.c_str());
  for (const auto& s : plan["shards"])
    std::fprintf(stderr, "  shard %-3d %3zu units  ~%6.0f s estimated  VM up to %d MiB\n", s["index"].get<int>(),
                 s["units"].size(), s["cost_s"].get<double>(), s["memory_mib"].get<int>());
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace kreg
