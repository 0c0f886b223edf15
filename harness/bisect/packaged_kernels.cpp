#include "harness/bisect/packaged_kernels.hpp"

#include <cctype>
#include <filesystem>

#include "vm/common/error.hpp"

namespace kreg {

namespace fs = std::filesystem;

namespace {

class PackagedKernels : public KernelSequence {
 public:
  PackagedKernels(std::vector<SequenceEntry> entries, std::string cache_dir)
      : entries_(std::move(entries)), cache_dir_(std::move(cache_dir)) {}

  std::string kind() const override { return "packaged"; }
  const std::vector<SequenceEntry>& entries() const override { return entries_; }

  KernelImage obtain(size_t position, std::string& how) override {
    const nlohmann::json& e = entries_.at(position).json;
    const std::string spec = e.at("spec");
    const auto before = fs::file_time_type::clock::now();
    try {
      KernelImage k = obtain_kernel(spec, cache_dir_);
      // A kernel.json older than this call was in the cache already.
      std::error_code ec;
      const fs::path json = fs::path(k.vmlinuz).parent_path() / "kernel.json";
      const bool cached = fs::exists(json) && fs::last_write_time(json, ec) < before;
      how = cached ? "cached" : spec.rfind("debian:", 0) == 0 ? "downloaded" : "from file";
      return k;
    } catch (const KregError& err) {
      throw StepSkip(std::string("cannot obtain ") + spec + ": " + err.what());
    }
  }

  nlohmann::json to_json() const override {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries_) list.push_back({{"name", e.name}, {"title", e.title}, {"entry", e.json}});
    return {{"kind", kind()}, {"entries", list}};
  }

 private:
  std::vector<SequenceEntry> entries_;
  std::string cache_dir_;
};

// "6.1.0-47" is a prefix of "6.1.0-47" and of "6.1.0-47-cloud-amd64", not of "6.1.0-470".
bool name_matches(const std::string& name, const std::string& selector) {
  if (name == selector) return true;
  if (selector.empty() || name.size() <= selector.size() || name.compare(0, selector.size(), selector) != 0)
    return false;
  return !std::isdigit(static_cast<unsigned char>(name[selector.size()])) ||
         !std::isdigit(static_cast<unsigned char>(selector.back()));
}

std::string list_text(const std::vector<SequenceEntry>& entries) {
  if (entries.empty()) return "nothing";
  if (entries.size() <= 6) {
    std::string out;
    for (const auto& e : entries) out += (out.empty() ? "" : ", ") + e.name;
    return out;
  }
  return entries.front().name + " ... " + entries.back().name + " (" + std::to_string(entries.size()) + " kernels)";
}

// debian:<suite>:<prefix> or debian:<suite>:<from>..<to>, expanded through apt.
std::vector<SequenceEntry> debian_list(const std::string& spec, const std::string& cache_dir) {
  const std::string rest = spec.substr(std::string("debian:").size());
  const std::string suite = rest.substr(0, rest.find(':'));
  const std::string versions = rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
  if (suite.empty()) throw KregError("kernel list '" + spec + "' names no suite (e.g. debian:bookworm:6.1)");
  std::string from, to, prefix = versions;
  if (size_t dots = versions.find(".."); dots != std::string::npos) {
    from = versions.substr(0, dots);
    to = versions.substr(dots + 2);
    prefix = "";
    if (from.empty() || to.empty())
      throw KregError("kernel range '" + spec + "' needs both ends: debian:<suite>:<from>..<to>, e.g. " +
                      "debian:bookworm:6.1.0-47..6.1.0-57");
    if (from == to)
      throw KregError("kernel range '" + spec + "' holds fewer than two kernels: a bisect needs a good and a later " +
                      "bad kernel");
    if (debian_version_less(to, from))
      throw KregError("kernel range '" + spec + "' runs backwards: good " + from + " is later than bad " + to +
                      " (write the older, good kernel first)");
  }
  std::vector<SequenceEntry> out;
  for (const auto& p : list_debian_kernels(suite, prefix, cache_dir)) {
    if (!from.empty() && (debian_version_less(p.abi_version, from) || debian_version_less(to, p.abi_version))) continue;
    out.push_back({p.abi_version,
                   p.package + " " + p.version,
                   {{"spec", "debian:" + suite + ":" + p.abi_version},
                    {"package", p.package},
                    {"version", p.version},
                    {"sha256", p.sha256}}});
  }
  if (!from.empty()) {
    auto has = [&](const std::string& v) {
      for (const auto& e : out)
        if (e.name == v) return true;
      return false;
    };
    for (const std::string& end : {from, to})
      if (!has(end))
        throw KregError("kernel " + end + " of range '" + spec + "' is not a cloud-amd64 kernel the mirror serves in " +
                        suite + " (it serves " + list_text(out) + " in that range)");
  }
  if (out.empty())
    throw KregError("Debian suite '" + suite + "' lists no linux-image-" + prefix + "*-cloud-amd64 kernel the mirror " +
                    "serves ('" + spec + "')");
  return out;
}

SequenceEntry one_kernel(const std::string& spec) {
  if (spec.rfind("debian:", 0) == 0) {
    const std::string rest = spec.substr(std::string("debian:").size());
    std::string name = rest.find(':') == std::string::npos ? rest : rest.substr(rest.find(':') + 1);
    return {name, spec, {{"spec", spec}}};
  }
  if (!fs::exists(spec))
    throw KregError("kernel " + spec + " does not exist (give .deb, .rpm or bzImage files, or a Debian list " +
                    "such as debian:bookworm:6.1)");
  return {fs::path(spec).filename().string(), spec, {{"spec", fs::absolute(spec).string()}}};
}

}  // namespace

size_t select_entry(const std::vector<SequenceEntry>& entries, const std::string& selector, const std::string& what) {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].name == selector) return i;
  std::vector<size_t> hits;
  for (size_t i = 0; i < entries.size(); ++i)
    if (name_matches(entries[i].name, selector)) hits.push_back(i);
  if (hits.empty())
    throw KregError(what + " " + selector + " is not in the kernel list (it holds " + list_text(entries) + ")");
  if (hits.size() > 1)
    throw KregError(what + " " + selector + " is ambiguous: " + entries[hits[0]].name + " and " +
                    entries[hits[1]].name + " match (give the full name)");
  return hits[0];
}

std::vector<SequenceEntry> cut_to_endpoints(const std::vector<SequenceEntry>& entries, const std::string& good,
                                            const std::string& bad) {
  const size_t g = good.empty() ? 0 : select_entry(entries, good, "--good");
  const size_t b = bad.empty() ? entries.size() - 1 : select_entry(entries, bad, "--bad");
  if (entries.size() < 2 || g == b)
    throw KregError("the range holds fewer than two kernels (" + list_text(entries) +
                    "): a bisect needs a good and a later bad kernel");
  if (g > b)
    throw KregError("good and bad are swapped: good " + entries[g].name + " comes after bad " + entries[b].name +
                    " in the list (the good kernel is the older one)");
  return {entries.begin() + static_cast<long>(g), entries.begin() + static_cast<long>(b) + 1};
}

std::unique_ptr<KernelSequence> packaged_sequence(const std::vector<std::string>& specs, const std::string& good,
                                                  const std::string& bad, const std::string& cache_dir) {
  if (specs.empty())
    throw KregError("no kernels to bisect: give a Debian list (debian:bookworm:6.1), kernel files in order, or " +
                    std::string("--repo PATH --good REV --bad REV"));
  std::vector<SequenceEntry> entries;
  if (specs.size() == 1 && specs[0].rfind("debian:", 0) == 0) {
    entries = debian_list(specs[0], cache_dir);
  } else {
    for (const auto& spec : specs) entries.push_back(one_kernel(spec));
  }
  return std::make_unique<PackagedKernels>(cut_to_endpoints(entries, good, bad), cache_dir);
}

std::unique_ptr<KernelSequence> packaged_sequence_from_json(const nlohmann::json& j, const std::string& cache_dir) {
  std::vector<SequenceEntry> entries;
  for (const auto& e : j.at("entries")) entries.push_back({e.at("name"), e.value("title", ""), e.at("entry")});
  return std::make_unique<PackagedKernels>(std::move(entries), cache_dir);
}

}  // namespace kreg
