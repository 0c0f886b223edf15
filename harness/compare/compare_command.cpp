// `kreg compare BASELINE NEW`: its options, and the files it writes beside the new run.
#include "harness/compare/compare_command.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/compare/compare_output.hpp"
#include "harness/store/result_store.hpp"
#include "vm/common/error.hpp"

namespace kreg {

namespace fs = std::filesystem;
namespace {

std::map<std::string, double> parse_thresholds(const std::vector<std::string>& specs) {
  std::map<std::string, double> out;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : spec.substr(eq + 1);
    double pct = -1;
    try {
      size_t used = 0;
      pct = std::stod(value, &used);
      if (used != value.size()) pct = -1;
    } catch (const std::exception&) {
    }
    if (name.empty() || !(pct >= 0))
      throw KregError("--threshold-for '" + spec + "': expected METRIC=PCT, e.g. sysctl_ipv6_disable_ipv6_open=25");
    out[name] = pct;
  }
  return out;
}

void write_output(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) throw KregError("cannot create " + parent.string() + ": " + ec.message());
  write_file_atomically(path, text);
}

}  // namespace

int compare_command(const CompareOptions& options) {
  if (!(options.threshold_pct >= 0)) throw KregError("--threshold must be a percentage >= 0");
  if (!(options.alpha > 0 && options.alpha < 1)) throw KregError("--alpha must be between 0 and 1");
  CompareSettings settings;
  settings.threshold_pct = options.threshold_pct;
  settings.alpha = options.alpha;
  if (options.min_points == "majority") {
    settings.min_regressed_points = kMajorityOfPoints;
  } else {
    size_t used = 0;
    long n = 0;
    try {
      n = std::stol(options.min_points, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != options.min_points.size() || n < 1)
      throw KregError("--min-points '" + options.min_points + "': expected 'majority' or a count >= 1, e.g. 2");
    settings.min_regressed_points = static_cast<size_t>(n);
  }
  settings.threshold_for = parse_thresholds(options.threshold_for);

  CompareSide base = load_compare_side(options.baseline);
  CompareSide cand = load_compare_side(options.candidate);
  CompareResult result = compare_sides(base, cand, settings, options.allow_accelerator_mismatch);
  for (const auto& [name, pct] : settings.threshold_for) {
    bool known =
        std::any_of(result.metrics.begin(), result.metrics.end(), [&](const auto& m) { return m.metric == name; });
    if (!known) throw KregError("--threshold-for names '" + name + "', which is no metric of these records");
  }

  std::string out_dir = cand.run_dir.empty() ? fs::path(cand.spec).parent_path().string() : cand.run_dir;
  if (out_dir.empty()) out_dir = ".";
  std::string junit = options.junit.empty() ? out_dir + "/compare/junit.xml" : options.junit;
  std::string markdown = options.markdown.empty() ? out_dir + "/compare/summary.md" : options.markdown;
  std::string json_path = options.json.empty() ? out_dir + "/compare/compare.json" : options.json;

  std::fputs(render_compare_table(result).c_str(), stdout);
  write_output(markdown, render_compare_markdown(result));
  write_output(junit, render_compare_junit(result));
  write_output(json_path, compare_json(result).dump(1) + "\n");
  std::printf("wrote %s, %s and %s\n", markdown.c_str(), junit.c_str(), json_path.c_str());
  std::fflush(stdout);
  int rc = result.exit_code();
  if (rc == 2) throw KregError(result.nothing_compared_reason());
  return rc;
}

}  // namespace kreg
