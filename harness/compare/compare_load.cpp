// kreg compare, loading: a run, a run's kernel, or a record file into the
// records one side of a comparison holds.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "bench/metric_names.hpp"
#include "harness/compare/compare_command.hpp"
#include "harness/compare/compare_parts.hpp"
#include "vm/common/error.hpp"

namespace kreg {

namespace fs = std::filesystem;
using compare_detail::join;
using nlohmann::json;

// --- loading ------------------------------------------------------------------

namespace {

json read_record(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw KregError("cannot read " + path.string());
  json record;
  try {
    record = json::parse(in);
  } catch (const json::parse_error& e) {
    throw KregError(path.string() + " is not valid JSON: " + e.what());
  }
  rename_record_metrics(record);  // records written before a metric was renamed pair with today's
  return record;
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
    // An exact label wins over prefixes: "6.1.192" beside "6.1.192+walk".
    if (std::find(hit.begin(), hit.end(), side.kernel_selector) != hit.end()) hit = {side.kernel_selector};
    if (hit.empty())
      throw KregError("kernel '" + side.kernel_selector + "' is not in " + path + " (it holds " + join(all) + ")");
    if (hit.size() > 1)
      throw KregError("kernel '" + side.kernel_selector + "' is ambiguous in " + path + ": " + join(hit));
    std::erase_if(side.records, [&](const LoadedRecord& r) { return r.kernel != hit[0]; });
  }
  return side;
}

namespace compare_detail {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace compare_detail

}  // namespace kreg
