#include "harness/bisect/bisect_steps.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "harness/matrix/matrix_executor.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// File-name-safe: "6.1.0-52" stays, "a/b c" becomes "a_b_c".
std::string safe(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ? c : '_';
  return out;
}

}  // namespace

nlohmann::json metric_series(const nlohmann::json& record, const std::string& metric) {
  nlohmann::json out = nlohmann::json::array();
  if (!record.is_object()) return out;
  for (const auto& p : record.value("points", nlohmann::json::array())) {
    if (!p.contains("metrics") || !p["metrics"].contains(metric)) continue;
    const auto& m = p["metrics"][metric];
    if (!m.contains("median_ns")) continue;
    out.push_back({{"target", p.value("target", 0)},
                   {"created", p.value("created", p.value("target", 0))},
                   {"median_ns", m["median_ns"]},
                   {"p90_ns", m.value("p90_ns", m["median_ns"].get<double>())}});
  }
  return out;
}

std::vector<std::string> record_metrics(const nlohmann::json& record) {
  std::set<std::string> names;
  if (record.is_object())
    for (const auto& p : record.value("points", nlohmann::json::array()))
      if (p.contains("metrics") && p["metrics"].is_object())
        for (const auto& [name, m] : p["metrics"].items())
          if (m.is_object() && m.contains("median_ns")) names.insert(name);
  return {names.begin(), names.end()};
}

std::string missing_metric_reason(const nlohmann::json& record, const std::string& metric) {
  if (!metric_series(record, metric).empty()) return "";
  if (record.is_object())
    for (const auto& p : record.value("points", nlohmann::json::array()))
      if (p.contains("skipped") && p["skipped"].contains(metric)) return p["skipped"][metric].get<std::string>();
  return "not recorded";
}

StepMeasurer::StepMeasurer(KernelSequence& sequence, MeasureContext& context, const nlohmann::json& doc)
    : sequence_(sequence), context_(context), doc_(doc) {}

std::string StepMeasurer::run_name(size_t position, const std::string& phase) const {
  std::string base = fmt::format("{:02}-{}", position, safe(sequence_.entries().at(position).name));
  if (phase == "confirm") return base + "-confirm";
  if (phase == "revert") return "revert-" + base;
  return base;
}

StepRun StepMeasurer::restore(const nlohmann::json& step) const {
  StepRun s;
  s.position = step.value("position", size_t{0});
  s.phase = step.value("phase", "");
  s.entry = step;
  s.restored = true;
  s.skip_reason = step.value("skip_reason", "");
  const std::string root = fs::path(context_.runs_root).parent_path().string();
  for (const auto& path : step.value("records", nlohmann::json::array())) {
    nlohmann::json record = nullptr;
    if (path.is_string()) {
      record = nlohmann::json::parse(std::ifstream(root + "/" + path.get<std::string>()), nullptr, false);
      if (record.is_discarded()) record = nullptr;
    }
    s.records.push_back(record);
  }
  return s;
}

std::vector<StepRun> StepMeasurer::measure(const std::vector<size_t>& positions, const std::string& phase, int tries) {
  std::vector<StepRun> steps;
  std::vector<MeasureRequest> requests;
  std::vector<size_t> which;  // steps[i] measured by requests[k] -> which[k] = i
  for (size_t position : positions) {
    const std::string name = run_name(position, phase);
    bool done = false;
    for (const auto& step : doc_.value("steps", nlohmann::json::array()))
      if (step.value("run_name", "") == name && step.value("finished", false)) {
        steps.push_back(restore(step));
        done = true;
      }
    if (done) continue;
    const SequenceEntry& e = sequence_.entries().at(position);
    StepRun s;
    s.position = position;
    s.phase = phase;
    s.entry = {{"phase", phase},  {"position", position}, {"kernel", e.name},      {"title", e.title},
               {"entry", e.json}, {"run_name", name},     {"tries_planned", tries}};
    auto started = std::chrono::steady_clock::now();
    std::string how;
    try {
      if (context_.on_note) context_.on_note("kreg: bisect: obtaining " + e.name + " (" + e.title + ")");
      KernelImage k = sequence_.obtain(position, how);
      s.entry["obtain"] = {{"how", how}, {"seconds", seconds_since(started)}};
      s.entry["image_sha256"] = k.image_sha256;
      s.entry["release"] = k.release;
      requests.push_back({name, e.name, k, e.json.value("spec", e.name), tries});
      which.push_back(steps.size());
    } catch (const StepSkip& skip) {
      s.entry["obtain"] = {{"how", "failed"}, {"seconds", seconds_since(started)}};
      s.skip_reason = skip.what();
    }
    steps.push_back(std::move(s));
    // Ctrl-C reaches a kernel build's make too, which then fails: that is a
    // stop (resumed later), not a kernel that does not build.
    if (stop_asked()) {
      for (auto& step : steps) step.stopped = !step.restored;
      return steps;
    }
  }
  return run(std::move(steps), std::move(requests), std::move(which));
}

StepRun StepMeasurer::measure_revert(size_t position, int tries) {
  const std::string name = run_name(position, "revert");
  for (const auto& step : doc_.value("steps", nlohmann::json::array()))
    if (step.value("run_name", "") == name && step.value("finished", false)) return restore(step);
  const SequenceEntry& e = sequence_.entries().at(position);
  StepRun s;
  s.position = position;
  s.phase = "revert";
  s.entry = {{"phase", "revert"},
             {"position", position},
             {"kernel", "revert " + e.name},
             {"title", "bad endpoint with " + e.name + " reverted"},
             {"entry", e.json},
             {"run_name", name},
             {"tries_planned", tries}};
  auto started = std::chrono::steady_clock::now();
  std::string why;
  std::optional<KernelImage> k;
  try {
    k = sequence_.obtain_revert(position, why);
  } catch (const StepSkip& skip) {
    why = skip.what();
  }
  s.entry["obtain"] = {{"how", k ? "built" : "failed"}, {"seconds", seconds_since(started)}};
  if (stop_asked()) {
    s.stopped = true;
    return s;
  }
  if (!k) {
    s.skip_reason = why;
    return run({s}, {}, {}).front();
  }
  s.entry["image_sha256"] = k->image_sha256;
  s.entry["release"] = k->release;
  return run({s}, {{name, "revert " + e.name, *k, "revert of " + e.name, tries}}, {0}).front();
}

std::vector<StepRun> StepMeasurer::run(std::vector<StepRun> steps, std::vector<MeasureRequest> requests,
                                       std::vector<size_t> which) {
  std::vector<MeasureResult> results;
  if (!requests.empty()) results = measure_batch(requests, context_);
  const std::string root = fs::path(context_.runs_root).parent_path().string();
  for (size_t k = 0; k < results.size(); ++k) {
    StepRun& s = steps[which[k]];
    const MeasureResult& r = results[k];
    s.stopped = r.stopped;
    s.records = r.records();
    nlohmann::json tries = nlohmann::json::array(), paths = nlohmann::json::array();
    for (size_t t = 0; t < r.tries.size(); ++t) {
      const TryResult& tr = r.tries[t];
      tries.push_back(
          {{"try", t + 1}, {"status", tr.status}, {"end", tr.end}, {"reason", tr.reason}, {"wall_s", tr.wall_s}});
      paths.push_back(tr.record_path.empty()
                          ? nlohmann::json(nullptr)
                          : nlohmann::json(fs::relative(r.run_dir, root).string() + "/" + tr.record_path));
    }
    s.entry["run_dir"] = fs::relative(r.run_dir, root).string();
    s.entry["tries"] = tries;
    s.entry["records"] = paths;
    s.entry["run_s"] = r.wall_s;
    if (s.skip_reason.empty() && !s.stopped) {
      bool any = false;
      for (const auto& rec : s.records) any |= rec.is_object() && rec.value("status", "") == "ok";
      if (!any) s.skip_reason = "no try produced a record: " + r.first_failure();
    }
  }
  for (auto& s : steps) {
    if (s.restored) continue;
    if (!s.skip_reason.empty()) s.entry["skip_reason"] = s.skip_reason;
    s.entry["build_s"] = s.entry.contains("obtain") ? s.entry["obtain"].value("seconds", 0.0) : 0.0;
    s.entry["wall_s"] = s.entry["build_s"].get<double>() + s.entry.value("run_s", 0.0);
  }
  return steps;
}

}  // namespace kreg
