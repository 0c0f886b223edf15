#include "harness/compare_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "bench/metric_catalog.hpp"
#include "harness/compare_output.hpp"
#include "harness/error.hpp"
#include "harness/result_store.hpp"
#include "stats/mann_whitney.hpp"
#include "stats/welch.hpp"

namespace kreg {

namespace fs = std::filesystem;
using nlohmann::json;

double CompareSettings::threshold_for_metric(const std::string& metric) const {
  auto it = threshold_for.find(metric);
  return it == threshold_for.end() ? threshold_pct : it->second;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Ok: return "ok";
    case Verdict::Improved: return "improved";
    case Verdict::Regression: return "REGRESSION";
    case Verdict::NotCompared: return "not compared";
  }
  return "?";
}

// --- loading ------------------------------------------------------------------

namespace {

json read_record(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw KregError("cannot read " + path.string());
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw KregError(path.string() + " is not valid JSON: " + e.what());
  }
}

bool is_job_record(const json& r) { return r.is_object() && r.value("schema", "") == "kreg.job"; }

// The kernel label of a record: the matrix's label, else its jobs/<kernel>/ directory, else the release.
std::string kernel_label(const json& r, const fs::path& path) {
  if (r.contains("unit") && r["unit"].is_object()) {
    std::string label = r["unit"].value("kernel_label", "");
    if (!label.empty()) return label;
  }
  std::string parent = path.parent_path().filename().string();
  if (!parent.empty() && parent != "jobs") return parent;
  if (r.contains("kernel") && r["kernel"].is_object()) return r["kernel"].value("release", "?");
  return "?";
}

// The run directory a record file belongs to: the directory above its jobs/.
std::string run_dir_of(const fs::path& record) {
  for (fs::path p = record.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
    if (p.filename() == "jobs") return p.parent_path().string();
  return "";
}

// "6.1" selects "6.1.0-50-cloud-amd64" but not "6.12.117+deb13-cloud-amd64".
bool kernel_matches(const std::string& label, const std::string& selector) {
  if (label == selector) return true;
  if (label.size() <= selector.size() || label.compare(0, selector.size(), selector) != 0) return false;
  return !std::isdigit(static_cast<unsigned char>(label[selector.size()])) ||
         !std::isdigit(static_cast<unsigned char>(selector.back()));
}

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

std::vector<std::string> CompareSide::kernels() const {
  std::set<std::string> labels;
  for (const auto& r : records) labels.insert(r.kernel);
  return {labels.begin(), labels.end()};
}

CompareSide load_compare_side(const std::string& spec) {
  CompareSide side;
  side.spec = spec;
  std::string path = spec;
  if (!fs::exists(path)) {
    size_t colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0 || !fs::is_directory(spec.substr(0, colon)))
      throw KregError("'" + spec + "' is neither a run directory, RUN_DIR:KERNEL, nor a job record");
    path = spec.substr(0, colon);
    side.kernel_selector = spec.substr(colon + 1);
    if (side.kernel_selector.empty()) throw KregError("'" + spec + "' names no kernel after ':'");
  }
  if (fs::is_regular_file(path)) {
    json r = read_record(path);
    if (!is_job_record(r)) throw KregError("'" + spec + "' is not a kreg job record (no \"schema\": \"kreg.job\")");
    side.single_record = true;
    side.run_dir = run_dir_of(fs::path(path));
    side.records.push_back({path, kernel_label(r, fs::path(path)), std::move(r)});
  } else {
    if (!fs::is_directory(path + "/jobs"))
      throw KregError("'" + path + "' is not a kreg run directory (expected results/<run-id>/ with jobs/)");
    side.run_dir = path;
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(path + "/jobs"))
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      json r = read_record(file);
      if (is_job_record(r)) side.records.push_back({file.string(), kernel_label(r, file), std::move(r)});
    }
    if (side.records.empty()) throw KregError("run " + path + " holds no job record");
  }
  if (!side.run_dir.empty()) {
    side.run_id = fs::path(side.run_dir).lexically_normal().filename().string();
    if (side.run_id.empty()) side.run_id = fs::path(side.run_dir).lexically_normal().parent_path().filename().string();
  }
  if (!side.kernel_selector.empty()) {
    std::vector<std::string> all = side.kernels(), hit;
    for (const auto& k : all)
      if (kernel_matches(k, side.kernel_selector)) hit.push_back(k);
    if (hit.empty())
      throw KregError("kernel '" + side.kernel_selector + "' is not in " + path + " (it holds " + join(all) + ")");
    if (hit.size() > 1)
      throw KregError("kernel '" + side.kernel_selector + "' is ambiguous in " + path + ": " + join(hit));
    std::erase_if(side.records, [&](const LoadedRecord& r) { return r.kernel != hit[0]; });
  }
  return side;
}

// --- one metric ---------------------------------------------------------------

namespace {

// What a point records of one metric's distribution.
struct Dist {
  double target = 0, x = 0;
  double median = 0, p90 = 0, mean = 0, samples = 0;
  std::optional<double> sd;
  std::vector<double> raw;  // per-repetition samples: metrics[m].samples_ns, or gbench's iteration entries
};

double time_unit_ns(const std::string& unit) {
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 1;
}

// metric name of a Google Benchmark entry: its run name up to the first '/'
std::string gbench_metric(const json& bm) {
  std::string run_name = bm.value("run_name", bm.value("name", ""));
  return run_name.substr(0, run_name.find('/'));
}

std::map<std::string, Dist> point_dists(const json& point) {
  std::map<std::string, Dist> out;
  if (!point.contains("metrics") || !point["metrics"].is_object()) return out;
  for (const auto& [name, m] : point["metrics"].items()) {
    if (!m.is_object() || !m.contains("median_ns") || !m["median_ns"].is_number()) continue;
    Dist d;
    d.target = point.value("target", 0.0);
    d.x = point.value("created", d.target);
    d.median = m["median_ns"].get<double>();
    d.p90 = m.value("p90_ns", d.median);
    d.mean = m.value("mean_ns", d.median);
    d.samples = m.value("samples", 0.0);
    if (m.contains("stddev_ns") && m["stddev_ns"].is_number()) d.sd = m["stddev_ns"].get<double>();
    if (m.contains("samples_ns") && m["samples_ns"].is_array())  // raw samples, where a recorder keeps them
      for (const auto& v : m["samples_ns"])
        if (v.is_number()) d.raw.push_back(v.get<double>());
    out[name] = d;
  }
  std::set<std::string> raw_from_metrics;
  for (const auto& [name, d] : out)
    if (!d.raw.empty()) raw_from_metrics.insert(name);
  if (point.contains("gbench") && point["gbench"].is_object()) {
    for (const auto& bm : point["gbench"].value("benchmarks", json::array())) {
      auto it = out.find(gbench_metric(bm));
      if (it == out.end() || !bm.contains("real_time") || !bm["real_time"].is_number()) continue;
      double scale = time_unit_ns(bm.value("time_unit", "ns"));
      double value = bm["real_time"].get<double>() * scale;
      std::string type = bm.value("run_type", "");
      if (type == "aggregate" && bm.value("aggregate_name", "") == "stddev" && !it->second.sd) it->second.sd = value;
      else if (type == "iteration" && !bm.value("error_occurred", false) && !raw_from_metrics.count(it->first))
        it->second.raw.push_back(value);
    }
  }
  return out;
}

// metric -> points in sweep order
std::map<std::string, std::vector<Dist>> series_of(const json& record) {
  std::map<std::string, std::vector<Dist>> out;
  for (const auto& point : record.value("points", json::array()))
    for (auto& [name, d] : point_dists(point)) out[name].push_back(std::move(d));
  return out;
}

json metric_info_of(const json& record, const std::string& metric) {
  if (record.contains("metric_info") && record["metric_info"].contains(metric)) return record["metric_info"][metric];
  return metric_info(metric);
}

PointComparison compare_point(const Dist& b, const Dist& n, double sign, double thr, const CompareSettings& s) {
  PointComparison p;
  p.target = b.target;
  p.x_base = b.x;
  p.x_new = n.x;
  p.base_median = b.median;
  p.new_median = n.median;
  p.base_p90 = b.p90;
  p.new_p90 = n.p90;
  p.base_samples = b.samples;
  p.new_samples = n.samples;
  p.change_pct = b.median != 0 ? sign * (n.median - b.median) / std::fabs(b.median) * 100 : 0;
  p.practical = p.change_pct > thr;
  // Non-overlap: half of NEW lies beyond 90% of BASELINE (higher is worse);
  // where lower is worse, 90% of NEW lies below BASELINE's median (records keep
  // no p10). Improvement is the mirror.
  if (sign > 0) {
    p.non_overlap = n.median > b.p90;
  } else {
    p.non_overlap = n.p90 < b.median;
  }
  bool better_non_overlap = sign > 0 ? n.p90 < b.median : n.median > b.p90;
  size_t nb = b.raw.size(), nn = n.raw.size();
  if (nb >= s.min_samples && nn >= s.min_samples) {
    stats::MannWhitneyResult mw = stats::mann_whitney(b.raw, n.raw);
    p.test = "mann-whitney";
    p.p_worse = sign > 0 ? mw.p_greater : mw.p_less;
    p.p_better = sign > 0 ? mw.p_less : mw.p_greater;
  } else if (b.samples < s.min_samples || n.samples < s.min_samples) {
    p.untested = fmt::format("too few samples ({:g} vs {:g}, need {})", b.samples, n.samples, s.min_samples);
  } else if (b.sd && n.sd) {
    stats::WelchResult w = stats::welch_test(stats::Summary{b.mean, *b.sd, b.samples},
                                             stats::Summary{n.mean, *n.sd, n.samples});
    if (w.valid) {
      p.test = "welch";
      p.p_worse = sign > 0 ? w.p_greater : w.p_less;
      p.p_better = sign > 0 ? w.p_less : w.p_greater;
    } else {
      p.untested = "no usable mean/stddev";
    }
  } else {
    p.untested = "no spread recorded (neither raw samples nor a standard deviation)";
  }
  if (!p.test.empty()) {
    p.significant = p.p_worse < s.alpha;
    p.regressed = p.significant && p.non_overlap && p.practical;
    p.improved = p.p_better < s.alpha && better_non_overlap && -p.change_pct > thr;
  }
  return p;
}

SlopeComparison compare_slopes(const std::vector<Dist>& b, const std::vector<Dist>& n, double sign, double thr,
                               const CompareSettings& s) {
  SlopeComparison c;
  if (b.empty() || n.empty()) {
    c.why_not = "no points";
    return c;
  }
  auto [bmin, bmax] = std::minmax_element(b.begin(), b.end(), [](auto& l, auto& r) { return l.x < r.x; });
  auto [nmin, nmax] = std::minmax_element(n.begin(), n.end(), [](auto& l, auto& r) { return l.x < r.x; });
  c.x_lo = std::max(bmin->x, nmin->x);
  c.x_hi = std::min(bmax->x, nmax->x);
  if (!(c.x_hi > c.x_lo)) {
    c.why_not = "no shared range of object counts";
    return c;
  }
  auto fit = [&](const std::vector<Dist>& side) {
    std::vector<double> xs, ys;
    for (const Dist& d : side)
      if (d.x >= c.x_lo && d.x <= c.x_hi) {
        xs.push_back(d.x);
        ys.push_back(d.median);
      }
    return stats::linear_fit(xs, ys, 1 - s.alpha);
  };
  c.base = fit(b);
  c.cand = fit(n);
  if (!c.base.has_ci || !c.cand.has_ci) {
    c.why_not = fmt::format("too few points in the shared range for a slope interval ({} vs {}, need 3)", c.base.n,
                            c.cand.n);
    return c;
  }
  c.compared = true;
  double span = c.x_hi - c.x_lo;
  double diff = sign * (c.cand.slope - c.base.slope);
  c.extra = diff * span;
  c.base_level = c.base.at(c.x_hi);
  if (c.base_level <= 0) {  // a fit through noise can dip below zero; fall back to what was measured
    for (const Dist& d : b)
      if (d.x >= c.x_lo && d.x <= c.x_hi) c.base_level = std::max(c.base_level, d.median);
  }
  c.slope_change_pct = c.base.slope != 0 ? diff / std::fabs(c.base.slope) * 100 : (diff > 0 ? INFINITY : diff < 0 ? -INFINITY : 0);
  double t = thr / 100;
  c.significant = sign > 0 ? c.cand.slope_lo > c.base.slope_hi : c.cand.slope_hi < c.base.slope_lo;
  c.practical = diff > t * std::fabs(c.base.slope) && c.extra > t * std::fabs(c.base_level);
  c.regressed = c.significant && c.practical;
  bool better = sign > 0 ? c.cand.slope_hi < c.base.slope_lo : c.cand.slope_lo > c.base.slope_hi;
  c.improved = better && -diff > t * std::fabs(c.base.slope) && -c.extra > t * std::fabs(c.base_level);
  return c;
}

std::string job_display(const json& r) {
  std::string id = r.value("job_id", "?");
  std::string mode, rep;
  if (r.contains("unit") && r["unit"].is_object()) {
    mode = r["unit"].value("cgroup_mode", "");
    int n = r["unit"].value("repetition", 1);
    if (n != 1) rep = "#r" + std::to_string(n);
  }
  bool says_mode = mode.empty() || id == mode || (id.size() > mode.size() && id.ends_with("/" + mode));
  return id + (says_mode ? "" : " (" + mode + ")") + rep;
}

std::string unusable_reason(const json& r) {
  std::string status = r.value("status", "?");
  if (r.value("kind", "sweep") == "speed") return "a speed record (no sweep points)";
  if (status == "skipped") return "skipped: " + r.value("skip_reason", std::string("no reason recorded"));
  if (status == "failed") {
    std::string why = r.contains("error") && r["error"].is_object() ? r["error"].value("message", "") : "";
    return "failed" + (why.empty() ? std::string() : ": " + why);
  }
  if (r.value("points", json::array()).empty()) return "no sweep points";
  return "";
}

}  // namespace

std::vector<MetricComparison> compare_records(const json& base, const json& cand, const CompareSettings& s) {
  std::vector<MetricComparison> out;
  std::string bad_base = unusable_reason(base), bad_new = unusable_reason(cand);
  auto sb = series_of(base), sn = series_of(cand);
  std::set<std::string> names;
  for (const auto& [k, v] : sb) names.insert(k);
  for (const auto& [k, v] : sn) names.insert(k);
  std::string job = job_display(base), job_new = job_display(cand);
  auto row = [&](const std::string& metric) {
    MetricComparison m;
    m.job = job;
    if (job_new != job) m.job_new = job_new;
    m.metric = metric;
    m.threshold_pct = s.threshold_for_metric(metric);
    json info = metric_info_of(cand.contains("metric_info") ? cand : base, metric);
    if (info.is_object()) {
      m.unit = info.value("unit", "ns");
      m.worse = info.value("worse", "higher");
    }
    return m;
  };
  if (!bad_base.empty() || !bad_new.empty()) {
    if (names.empty()) names.insert("-");
    for (const auto& name : names) {
      MetricComparison m = row(name);
      if (!bad_base.empty() && !bad_new.empty())
        m.reason = bad_base == bad_new ? "both " + bad_base : "baseline " + bad_base + "; new " + bad_new;
      else
        m.reason = !bad_base.empty() ? "baseline " + bad_base : "new " + bad_new;
      out.push_back(std::move(m));
    }
    return out;
  }
  for (const auto& name : names) {
    MetricComparison m = row(name);
    auto ib = sb.find(name), in = sn.find(name);
    if (ib == sb.end() || in == sn.end()) {
      m.reason = ib == sb.end() ? "missing in baseline" : "missing in new";
      out.push_back(std::move(m));
      continue;
    }
    double sign = m.worse == "lower" ? -1 : 1;
    const auto& b = ib->second;
    const auto& n = in->second;
    for (const Dist& db : b) {
      auto hit = std::find_if(n.begin(), n.end(), [&](const Dist& d) { return d.target == db.target; });
      if (hit == n.end()) continue;
      PointComparison p = compare_point(db, *hit, sign, m.threshold_pct, s);
      if (!p.test.empty()) {
        ++m.points_tested;
        if (m.test.empty() || m.test == p.test) m.test = p.test;
        else m.test = "mixed";
      }
      m.points_regressed += p.regressed;
      m.points_improved += p.improved;
      m.points.push_back(std::move(p));
    }
    m.slope = compare_slopes(b, n, sign, m.threshold_pct, s);
    if (m.points_tested == 0 && !m.slope.compared) {
      std::string why = m.points.empty() ? "no shared sweep point" : m.points.front().untested;
      m.reason = why + "; slope: " + m.slope.why_not;
      out.push_back(std::move(m));
      continue;
    }
    size_t need = std::max<size_t>(1, s.min_regressed_points);
    bool points_regress = static_cast<size_t>(m.points_regressed) >= need;
    bool points_improve = static_cast<size_t>(m.points_improved) >= need;
    if (m.slope.regressed || points_regress) {
      m.verdict = Verdict::Regression;
      std::vector<std::string> why;
      if (m.slope.regressed) why.push_back("slope");
      if (points_regress) why.push_back(fmt::format("{}/{} points", m.points_regressed, m.points.size()));
      m.reason = join(why, " + ");
    } else if ((m.slope.improved || points_improve) &&
               std::none_of(m.points.begin(), m.points.end(), [](const auto& p) { return p.practical; })) {
      // improved: better by the same rules, and no point's median worse by more than the threshold
      m.verdict = Verdict::Improved;
      std::vector<std::string> why;
      if (m.slope.improved) why.push_back("slope");
      if (points_improve) why.push_back(fmt::format("{}/{} points", m.points_improved, m.points.size()));
      m.reason = join(why, " + ");
    } else {
      m.verdict = Verdict::Ok;
      if (!m.slope.compared) m.reason = "slope: " + m.slope.why_not;
    }
    out.push_back(std::move(m));
  }
  return out;
}

// --- pairing and verdicts -----------------------------------------------------

namespace {

std::string record_key(const json& r) {
  std::string mode = r.contains("unit") && r["unit"].is_object() ? r["unit"].value("cgroup_mode", "") : "";
  int rep = r.contains("unit") && r["unit"].is_object() ? r["unit"].value("repetition", 1) : 1;
  return r.value("job_id", "?") + "\x1f" + mode + "\x1f" + std::to_string(rep);
}

std::string accelerator_of(const json& r) {
  if (r.contains("machine") && r["machine"].is_object()) return r["machine"].value("accelerator", "unknown");
  return "unknown";
}

std::string describe(const CompareSide& side) {
  std::set<std::string> accels;
  for (const auto& r : side.records) accels.insert(accelerator_of(r.record));
  std::string what = side.single_record ? side.records.front().path
                                        : (side.run_id.empty() ? side.run_dir : side.run_id);
  if (side.single_record) {
    return fmt::format("{} ({}, {})", what, side.records.front().kernel,
                       join({accels.begin(), accels.end()}, "/"));
  }
  return fmt::format("{} [{}] ({})", what, join(side.kernels()), join({accels.begin(), accels.end()}, "/"));
}

}  // namespace

int CompareResult::count(Verdict v) const {
  return static_cast<int>(std::count_if(metrics.begin(), metrics.end(), [&](const auto& m) { return m.verdict == v; }));
}

int CompareResult::exit_code() const {
  if (count(Verdict::Regression) > 0) return 1;
  if (count(Verdict::Ok) + count(Verdict::Improved) > 0) return 0;
  return 2;
}

std::string CompareResult::nothing_compared_reason() const {
  if (metrics.empty()) return "nothing to compare: the two sides share no job";
  std::map<std::string, int> reasons;
  for (const auto& m : metrics) ++reasons[m.reason];
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [why, n] : reasons) ranked.emplace_back(-n, why);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> parts;
  for (size_t i = 0; i < ranked.size() && i < 3; ++i) parts.push_back(fmt::format("{} x {}", -ranked[i].first, ranked[i].second));
  if (ranked.size() > 3) parts.push_back("...");
  return fmt::format("no metric could be compared ({} metrics: {})", metrics.size(), join(parts, "; "));
}

CompareResult compare_sides(const CompareSide& base, const CompareSide& cand, const CompareSettings& s,
                            bool allow_accelerator_mismatch) {
  CompareResult result;
  result.baseline_spec = base.spec;
  result.new_spec = cand.spec;
  result.baseline_desc = describe(base);
  result.new_desc = describe(cand);
  result.settings = s;

  // kernel pairs
  std::vector<std::pair<std::string, std::string>> kernel_pairs;
  std::vector<std::string> kb = base.kernels(), kn = cand.kernels();
  if (kb.size() == 1 && kn.size() == 1) {
    kernel_pairs.emplace_back(kb[0], kn[0]);
  } else {
    for (const auto& k : kb)
      if (std::find(kn.begin(), kn.end(), k) != kn.end()) kernel_pairs.emplace_back(k, k);
    if (kernel_pairs.empty())
      throw KregError(fmt::format("the baseline holds kernel(s) {} and the new side {}: none in both; pick one on each "
                                  "side with RUN_DIR:KERNEL",
                                  join(kb), join(kn)));
    result.multi_kernel = true;
    for (const auto& k : kb)
      if (std::find(kn.begin(), kn.end(), k) == kn.end()) result.notes.push_back("kernel " + k + " is only in the baseline");
    for (const auto& k : kn)
      if (std::find(kb.begin(), kb.end(), k) == kb.end()) result.notes.push_back("kernel " + k + " is only in the new run");
  }

  struct Pair {
    const LoadedRecord* base;
    const LoadedRecord* cand;
  };
  std::vector<Pair> pairs;
  std::vector<const LoadedRecord*> only_base, only_new;
  for (const auto& [k_base, k_new] : kernel_pairs) {
    std::map<std::string, const LoadedRecord*> mb, mn;
    for (const auto& r : base.records)
      if (r.kernel == k_base) mb[record_key(r.record)] = &r;
    for (const auto& r : cand.records)
      if (r.kernel == k_new) mn[record_key(r.record)] = &r;
    if (base.single_record && cand.single_record) {
      pairs.push_back({mb.begin()->second, mn.begin()->second});
      if (mb.begin()->first != mn.begin()->first)
        result.notes.push_back(fmt::format("comparing job {} (baseline) with job {} (new), as given",
                                           mb.begin()->second->record.value("job_id", "?"),
                                           mn.begin()->second->record.value("job_id", "?")));
      continue;
    }
    for (const auto& [key, r] : mb) {
      auto it = mn.find(key);
      if (it == mn.end()) only_base.push_back(r);
      else pairs.push_back({r, it->second});
    }
    for (const auto& [key, r] : mn)
      if (!mb.count(key)) only_new.push_back(r);
  }

  // accelerators: timings under TCG and KVM are not comparable
  std::set<std::pair<std::string, std::string>> mismatches;
  for (const auto& p : pairs) {
    std::string ab = accelerator_of(p.base->record), an = accelerator_of(p.cand->record);
    if (ab != an) mismatches.emplace(ab, an);
  }
  for (const auto& [ab, an] : mismatches) {
    if (!allow_accelerator_mismatch)
      throw KregError(fmt::format("refusing to compare: the baseline ran under {} and the new side under {}; timings "
                                  "under different accelerators are not comparable (--allow-accelerator-mismatch "
                                  "compares anyway)",
                                  ab, an));
    result.notes.push_back(fmt::format("accelerators differ ({} baseline, {} new): compared anyway as asked with "
                                       "--allow-accelerator-mismatch; latency differences may be the accelerator's",
                                       ab, an));
  }
  std::set<std::string> vcpu_notes;
  for (const auto& p : pairs) {
    const json& mb = p.base->record.value("machine", json::object());
    const json& mn = p.cand->record.value("machine", json::object());
    if (mb.value("vcpus", 0) != mn.value("vcpus", 0))
      vcpu_notes.insert(fmt::format("vCPUs differ: {} baseline, {} new", mb.value("vcpus", 0), mn.value("vcpus", 0)));
  }
  result.notes.insert(result.notes.end(), vcpu_notes.begin(), vcpu_notes.end());

  for (const auto& p : pairs) {
    for (auto& m : compare_records(p.base->record, p.cand->record, s)) {
      m.kernel_base = p.base->kernel;
      m.kernel_new = p.cand->kernel;
      result.metrics.push_back(std::move(m));
    }
  }
  auto missing = [&](const LoadedRecord* r, const char* where) {
    auto series = series_of(r->record);
    std::vector<std::string> names;
    for (const auto& [k, v] : series) names.push_back(k);
    if (names.empty()) names.push_back("-");
    for (const auto& name : names) {
      MetricComparison m;
      m.kernel_base = m.kernel_new = r->kernel;
      m.job = job_display(r->record);
      m.metric = name;
      m.threshold_pct = s.threshold_for_metric(name);
      m.reason = std::string("job missing in ") + where;
      result.metrics.push_back(std::move(m));
    }
  };
  for (const auto* r : only_base) missing(r, "new");
  for (const auto* r : only_new) missing(r, "baseline");
  std::stable_sort(result.metrics.begin(), result.metrics.end(), [](const auto& a, const auto& b) {
    return std::tie(a.kernel_base, a.job, a.metric) < std::tie(b.kernel_base, b.job, b.metric);
  });
  return result;
}

// --- the command ----------------------------------------------------------------

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
  if (options.min_points < 1) throw KregError("--min-points must be at least 1");
  settings.min_regressed_points = options.min_points;
  settings.threshold_for = parse_thresholds(options.threshold_for);

  CompareSide base = load_compare_side(options.baseline);
  CompareSide cand = load_compare_side(options.candidate);
  CompareResult result = compare_sides(base, cand, settings, options.allow_accelerator_mismatch);
  for (const auto& [name, pct] : settings.threshold_for) {
    bool known = std::any_of(result.metrics.begin(), result.metrics.end(), [&](const auto& m) { return m.metric == name; });
    if (!known) throw KregError("--threshold-for names '" + name + "', which is no metric of these records");
  }

  std::string out_dir = cand.run_dir.empty() ? fs::path(cand.spec).parent_path().string() : cand.run_dir;
  if (out_dir.empty()) out_dir = ".";
  std::string junit = options.junit.empty() ? out_dir + "/compare/junit.xml" : options.junit;
  std::string markdown = options.markdown.empty() ? out_dir + "/compare/summary.md" : options.markdown;

  std::fputs(render_compare_table(result).c_str(), stdout);
  write_output(markdown, render_compare_markdown(result));
  write_output(junit, render_compare_junit(result));
  std::printf("wrote %s and %s\n", markdown.c_str(), junit.c_str());
  std::fflush(stdout);
  int rc = result.exit_code();
  if (rc == 2) throw KregError(result.nothing_compared_reason());
  return rc;
}

}  // namespace kreg
