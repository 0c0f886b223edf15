// kreg compare's core: pair two sides' records by kernel and job, judge every
// metric (compare_metric.cpp), and lead with the findings (compare_findings.cpp).
#include "harness/compare/compare_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "bench/metric_catalog.hpp"
#include "harness/compare/compare_parts.hpp"
#include "harness/findings/record_series.hpp"
#include "vm/common/error.hpp"

namespace kreg {

using nlohmann::json;

double CompareSettings::threshold_for_metric(const std::string& metric) const {
  auto it = threshold_for.find(metric);
  return it == threshold_for.end() ? threshold_pct : it->second;
}

size_t CompareSettings::points_needed(size_t shared_points) const {
  if (min_regressed_points != kMajorityOfPoints) return min_regressed_points;
  return std::max<size_t>(2, shared_points / 2 + 1);
}

std::string CompareSettings::min_points_text() const {
  if (min_regressed_points != kMajorityOfPoints) return std::to_string(min_regressed_points);
  return "most of its shared points (at least 2)";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Ok:
      return "ok";
    case Verdict::Improved:
      return "improved";
    case Verdict::Regression:
      return "REGRESSION";
    case Verdict::NotCompared:
      return "not compared";
  }
  return "?";
}

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
  std::string what =
      side.single_record ? side.records.front().path : (side.run_id.empty() ? side.run_dir : side.run_id);
  if (side.single_record) {
    return fmt::format("{} ({}, {})", what, side.records.front().kernel,
                       compare_detail::join({accels.begin(), accels.end()}, "/"));
  }
  return fmt::format("{} [{}] ({})", what, compare_detail::join(side.kernels()),
                     compare_detail::join({accels.begin(), accels.end()}, "/"));
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
  for (size_t i = 0; i < ranked.size() && i < 3; ++i)
    parts.push_back(fmt::format("{} x {}", -ranked[i].first, ranked[i].second));
  if (ranked.size() > 3) parts.push_back("...");
  return fmt::format("no metric could be compared ({} metrics: {})", metrics.size(), compare_detail::join(parts, "; "));
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
      throw KregError(
          fmt::format("the baseline holds kernel(s) {} and the new side {}: none in both; pick one on each "
                      "side with RUN_DIR:KERNEL",
                      compare_detail::join(kb), compare_detail::join(kn)));
    result.multi_kernel = true;
    for (const auto& k : kb)
      if (std::find(kn.begin(), kn.end(), k) == kn.end())
        result.notes.push_back("kernel " + k + " is only in the baseline");
    for (const auto& k : kn)
      if (std::find(kb.begin(), kb.end(), k) == kb.end())
        result.notes.push_back("kernel " + k + " is only in the new run");
  }

  struct Pair {
    const LoadedRecord* base;
    const LoadedRecord* cand;
  };
  std::vector<Pair> pairs;
  std::vector<const LoadedRecord*> only_base, only_new;
  std::vector<std::pair<std::vector<const LoadedRecord*>, std::vector<const LoadedRecord*>>> per_kernel_pair;
  for (const auto& [k_base, k_new] : kernel_pairs) {
    size_t first_pair = pairs.size();
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
      per_kernel_pair.push_back({{pairs.back().base}, {pairs.back().cand}});
      continue;
    }
    for (const auto& [key, r] : mb) {
      auto it = mn.find(key);
      if (it == mn.end())
        only_base.push_back(r);
      else
        pairs.push_back({r, it->second});
    }
    for (const auto& [key, r] : mn)
      if (!mb.count(key)) only_new.push_back(r);
    per_kernel_pair.emplace_back();
    for (size_t i = first_pair; i < pairs.size(); ++i) {
      per_kernel_pair.back().first.push_back(pairs[i].base);
      per_kernel_pair.back().second.push_back(pairs[i].cand);
    }
  }

  // accelerators: timings under TCG and KVM are not comparable
  std::set<std::pair<std::string, std::string>> mismatches;
  for (const auto& p : pairs) {
    std::string ab = accelerator_of(p.base->record), an = accelerator_of(p.cand->record);
    if (ab != an) mismatches.emplace(ab, an);
  }
  for (const auto& [ab, an] : mismatches) {
    if (!allow_accelerator_mismatch)
      throw KregError(
          fmt::format("refusing to compare: the baseline ran under {} and the new side under {}; timings "
                      "under different accelerators are not comparable (--allow-accelerator-mismatch "
                      "compares anyway)",
                      ab, an));
    result.notes.push_back(
        fmt::format("accelerators differ ({} baseline, {} new): compared anyway as asked with "
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
    std::vector<std::string> names = compare_detail::metric_names(r->record);
    if (names.empty()) names.push_back("-");
    for (const auto& name : names) {
      MetricComparison m;
      m.kernel_base = m.kernel_new = r->kernel;
      m.job = compare_detail::job_display(r->record);
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
  std::set<std::string> calibration;
  for (const auto& p : pairs)
    for (const LoadedRecord* r : {p.base, p.cand})
      for (const auto& [name, series] : findings::series_of(r->record))
        if (is_calibration_metric(name)) calibration.insert(name);
  if (!calibration.empty())
    result.notes.push_back(fmt::format(
        "{}: calibration figure{} of the instrument (bench/metric_catalog.hpp), kept in the records, never judged",
        compare_detail::join({calibration.begin(), calibration.end()}), calibration.size() == 1 ? "" : "s"));
  result.findings = compare_findings(result, per_kernel_pair);
  return result;
}

}  // namespace kreg
