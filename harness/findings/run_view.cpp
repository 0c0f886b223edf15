#include "harness/findings/run_view.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <tuple>

#include "bench/metric_catalog.hpp"

namespace kreg::findings {

using nlohmann::json;

namespace {

std::string cgroup_mode(const json& r) {
  if (r.contains("unit") && r["unit"].is_object() && r["unit"].contains("cgroup_mode"))
    return r["unit"].value("cgroup_mode", "");
  return "";
}

// The job's scenario family in the generator table, or null for a scenario the table lacks.
const ScenarioFamily* family_row(const json& r) {
  const json job = r.value("job", json::object());
  if (!job.is_object()) return nullptr;
  try {
    const GeneratorInfo& info = generator_info(job.value("scenario", ""));
    json params = job.contains("params") && job["params"].is_object() ? job["params"] : json::object();
    return &scenario_family(info, params);
  } catch (const std::invalid_argument&) {
    return nullptr;
  }
}

}  // namespace

// plots/families.py's family_id: the job id without a trailing repetition and without the mode part.
std::string family_of(const json& r) {
  std::string id = r.value("job_id", "?");
  static const std::regex rep(R"(([.#]r\d+)$)");
  id = std::regex_replace(id, rep, "");
  std::string mode = cgroup_mode(r);
  std::string out;
  size_t at = 0;
  while (at <= id.size()) {
    size_t slash = id.find('/', at);
    std::string part = id.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    if (!(!mode.empty() && part == mode)) out += (out.empty() ? "" : "/") + part;
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return out.empty() ? id : out;
}

namespace {

std::string accelerator_of(const json& r) {
  return r.contains("machine") && r["machine"].is_object() ? r["machine"].value("accelerator", "unknown") : "unknown";
}

// Shortest names that still tell the kernels apart: the suffix all labels share
// (e.g. "-cloud-amd64") goes.
std::map<std::string, std::string> shorten(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& l : labels) out[l] = l;
  if (labels.size() < 2) {
    for (const auto& l : labels) {
      for (const char* suffix : {"-cloud-amd64", "-amd64"}) {
        std::string s = suffix;
        if (l.size() > s.size() && l.ends_with(s)) {
          out[l] = l.substr(0, l.size() - s.size());
          break;
        }
      }
    }
    return out;
  }
  size_t common = 0;
  const std::string& first = labels.front();
  while (common < first.size()) {
    char c = first[first.size() - 1 - common];
    bool all = std::all_of(labels.begin(), labels.end(), [&](const std::string& l) {
      return l.size() > common + 1 && l[l.size() - 1 - common] == c;
    });
    if (!all) break;
    ++common;
  }
  // cut at a '-' inside the shared suffix, so "6.1.0-57-cloud-amd64" keeps "6.1.0-57"
  std::string suffix = first.substr(first.size() - common);
  size_t dash = suffix.find('-');
  if (dash == std::string::npos) return out;
  size_t cut = common - dash;
  for (const auto& l : labels) out[l] = l.substr(0, l.size() - cut);
  return out;
}

}  // namespace

std::vector<const json*> Line::points() const {
  std::vector<const json*> out;
  for (const json* r : records)
    for (const auto& p : (*r)["points"]) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(),
                   [](const json* a, const json* b) { return a->value("created", 0.0) < b->value("created", 0.0); });
  return out;
}

std::string x_words(const Line& line) {
  if (!line.scenario || line.scenario->x_label.empty()) return line.object.empty() ? "objects" : line.object;
  const std::string& label = line.scenario->x_label;
  return label.substr(0, label.find(" ("));
}

std::string singular(const std::string& words) {
  size_t at = words.rfind(' ');
  std::string head = at == std::string::npos ? "" : words.substr(0, at + 1);
  std::string last = at == std::string::npos ? words : words.substr(at + 1);
  if (last.ends_with("ies")) return head + last.substr(0, last.size() - 3) + "y";
  if (last.ends_with("s") && !last.ends_with("ns")) return head + last.substr(0, last.size() - 1);
  return words;
}

std::string x_word_one(const Line& line) { return singular(line.object.empty() ? "objects" : line.object); }

RunView build_view(const std::vector<RecordRef>& records) {
  RunView view;
  std::set<std::string> kernels, accels;
  for (const auto& ref : records) {
    kernels.insert(ref.kernel);
    accels.insert(accelerator_of(*ref.record));
  }
  view.kernels.assign(kernels.begin(), kernels.end());
  std::sort(view.kernels.begin(), view.kernels.end(), version_less);
  view.accelerators.assign(accels.begin(), accels.end());
  view.short_names = shorten(view.kernels);

  std::map<std::tuple<std::string, std::string, std::string>, size_t> index;
  for (const auto& ref : records) {
    const json& r = *ref.record;
    std::string status = r.value("status", "?");
    bool speed = r.value("kind", "sweep") == "speed" ||
                 (r.contains("job") && r["job"].is_object() && r["job"].value("kind", "") == "speed");
    if (speed) continue;
    UnitProblem problem{ref.kernel, view.short_names[ref.kernel], family_of(r), cgroup_mode(r), status, ""};
    if (status == "skipped") {
      problem.reason = r.value("skip_reason", std::string("no reason recorded"));
      view.skipped.push_back(problem);
      continue;
    }
    if (status == "failed") {
      problem.reason = r.contains("error") && r["error"].is_object() ? r["error"].value("message", "") : "";
      view.failed.push_back(problem);
      if (r.value("points", json::array()).empty()) continue;
    }
    if (!r.contains("points") || !r["points"].is_array() || r["points"].empty()) continue;
    auto key = std::make_tuple(family_of(r), cgroup_mode(r), ref.kernel);
    auto [it, fresh] = index.emplace(key, view.lines.size());
    if (fresh) {
      Line line;
      std::tie(line.family, line.mode, line.kernel) = key;
      line.scenario = family_row(r);
      line.scenario_key = line.scenario ? line.scenario->id : r.value("job", json::object()).value("scenario", "");
      line.name = view.short_names[ref.kernel];
      line.object = r.value("object", "objects");
      line.accelerator = accelerator_of(r);
      view.lines.push_back(std::move(line));
    }
    view.lines[it->second].records.push_back(&r);
  }
  for (Line& line : view.lines) {
    std::map<std::string, std::vector<std::vector<Dist>>> reps;
    for (const json* r : line.records)
      for (auto& [name, series] : series_of(*r)) reps[name].push_back(std::move(series));
    for (auto& [name, list] : reps) {
      std::vector<const std::vector<Dist>*> ptrs;
      for (const auto& s : list) ptrs.push_back(&s);
      (is_calibration_metric(name) ? line.calibration : line.metrics)[name] = pooled_series(ptrs);
    }
  }
  std::stable_sort(view.lines.begin(), view.lines.end(), [](const Line& a, const Line& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.mode != b.mode) return a.mode < b.mode;
    return version_less(a.kernel, b.kernel);
  });
  return view;
}

}  // namespace kreg::findings
