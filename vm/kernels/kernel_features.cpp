#include "vm/kernels/kernel_features.hpp"

#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace kreg {

namespace {

// How a config option reads as evidence: "CONFIG_X=y", "CONFIG_X=m (module)",
// "CONFIG_X is not set", "CONFIG_X is absent from the config".
std::string config_evidence(const KernelConfig& config, const std::string& option) {
  auto it = config.find(option);
  if (it == config.end()) return option + " is absent from the config";
  if (it->second == "n") return option + " is not set";
  if (it->second == "m") return option + "=m (module)";
  return option + "=" + it->second;
}

bool config_is(const KernelConfig& config, const std::string& option, std::initializer_list<const char*> values) {
  auto it = config.find(option);
  if (it == config.end()) return false;
  for (const char* v : values)
    if (it->second == v) return true;
  return false;
}

struct Probe {
  const KernelConfig& config;
  bool have_config;
  std::optional<KernelVersion> version;
  std::vector<KernelFeature> out;

  // Available when `option` has one of `values` ("y" builtin, "m" module).
  void option(const std::string& name, const std::string& summary, const std::string& option,
              std::initializer_list<const char*> values = {"y"}) {
    if (!have_config) {
      out.push_back({name, summary, false, "config", "no kernel config (a bare bzImage)"});
      return;
    }
    out.push_back({name, summary, config_is(config, option, values), "config", config_evidence(config, option)});
  }

  // Expected from the mainline version that introduced it; `needs` is a
  // config option the interface cannot exist without ("" for none).
  void since(const std::string& name, const std::string& summary, KernelVersion first, const std::string& what,
             const std::string& needs = "") {
    if (have_config && !needs.empty() && !config_is(config, needs, {"y"})) {
      out.push_back({name, summary, false, "config", config_evidence(config, needs)});
      return;
    }
    if (!version) {
      out.push_back({name, summary, false, "version", "kernel version unknown (no config header, no release)"});
      return;
    }
    std::string first_text = fmt::format("{}.{}", first.major, first.minor);
    if (*version >= first)
      out.push_back({name, summary, true, "version",
                     fmt::format("{} >= {}, where {} appeared", version->text(), first_text, what)});
    else
      out.push_back({name, summary, false, "version",
                     fmt::format("{} < {}, where {} appeared (distribution backports are not detected)",
                                 version->text(), first_text, what)});
  }
};

}  // namespace

std::string KernelVersion::text() const { return fmt::format("{}.{}.{}", major, minor, patch); }

KernelConfig parse_kernel_config(const std::string& text) {
  static const std::regex set(R"(^(CONFIG_[A-Za-z0-9_]+)=(.*)$)"), unset(R"(^# (CONFIG_[A-Za-z0-9_]+) is not set$)");
  KernelConfig config;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::smatch m;
    if (std::regex_match(line, m, set))
      config[m[1]] = m[2];
    else if (std::regex_match(line, m, unset))
      config[m[1]] = "n";
  }
  return config;
}

std::optional<KernelVersion> kernel_version(const std::string& config_text, const std::string& release) {
  static const std::regex header(R"(^# Linux/\S+ (\d+)\.(\d+)(?:\.(\d+))?)"), leading(R"(^(\d+)\.(\d+)(?:\.(\d+))?)");
  auto from = [](const std::smatch& m) {
    return KernelVersion{std::stoi(m[1]), std::stoi(m[2]), m[3].matched ? std::stoi(m[3]) : 0};
  };
  std::istringstream lines(config_text);
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, m, header)) return from(m);
    if (line.rfind("CONFIG_", 0) == 0) break;  // the header comes before any option
  }
  if (std::regex_search(release, m, leading)) return from(m);
  return std::nullopt;
}

std::vector<KernelFeature> probe_features(const std::string& config_text, const std::string& release) {
  const KernelConfig config = parse_kernel_config(config_text);
  Probe p{config, !config_text.empty(), kernel_version(config_text, release), {}};

  p.option("cgroups", "control groups", "CONFIG_CGROUPS");
  p.option("memcg", "memory controller (memcg)", "CONFIG_MEMCG");
  // Before 6.12 there is no CONFIG_MEMCG_V1: the v1 interface comes with
  // CONFIG_MEMCG. From 6.12 on it is a separate option, off in Debian trixie.
  {
    const std::string summary = "memcg on a cgroup v1 hierarchy (memory.numa_stat, memory.force_empty)";
    if (p.have_config && config_is(config, "CONFIG_MEMCG", {"y"}) && !config.contains("CONFIG_MEMCG_V1"))
      p.out.push_back({"memcg_v1", summary, true, "config",
                       "CONFIG_MEMCG=y and no CONFIG_MEMCG_V1 option (before 6.12 memcg v1 comes with CONFIG_MEMCG)"});
    else if (p.have_config && !config_is(config, "CONFIG_MEMCG", {"y"}))
      p.out.push_back({"memcg_v1", summary, false, "config", config_evidence(config, "CONFIG_MEMCG")});
    else
      p.option("memcg_v1", summary, "CONFIG_MEMCG_V1");
  }
  p.since("memory_reclaim", "cgroup v2 memory.reclaim (proactive reclaim)", {5, 19, 0}, "memory.reclaim",
          "CONFIG_MEMCG");
  p.since("cgroup_stat_dying", "cgroup v2 cgroup.stat nr_dying_descendants", {4, 14, 0}, "cgroup.stat",
          "CONFIG_CGROUPS");
  p.since("cgroup_stat_dying_subsys", "cgroup.stat nr_dying_subsys_<controller> (dying memcgs counted apart)",
          {6, 12, 0}, "nr_dying_subsys_*", "CONFIG_CGROUPS");
  p.option("net_ns", "network namespaces", "CONFIG_NET_NS");
  // CONFIG_KPROBE_EVENT until 4.11 (CentOS 7's 3.10), CONFIG_KPROBE_EVENTS since.
  p.option("kprobe_events", "kprobe trace events (tracefs kprobe_events)",
           config.contains("CONFIG_KPROBE_EVENTS") || !config.contains("CONFIG_KPROBE_EVENT") ? "CONFIG_KPROBE_EVENTS"
                                                                                              : "CONFIG_KPROBE_EVENT");
  p.option("ftrace", "ftrace (tracefs)", "CONFIG_FTRACE");
  p.option("function_graph_tracer", "function_graph tracer (--kernel-trace)", "CONFIG_FUNCTION_GRAPH_TRACER");
  p.option("modules", "loadable modules", "CONFIG_MODULES");
  p.option("virtio_blk", "virtio block disk (ext4 scratch disk), built in or module", "CONFIG_VIRTIO_BLK", {"y", "m"});
  p.option("ext4", "ext4 filesystem, built in or module", "CONFIG_EXT4_FS", {"y", "m"});
  p.option("tmpfs", "tmpfs (page cache for memcg churn)", "CONFIG_TMPFS");
  return std::move(p.out);
}

std::vector<KernelFeature> probe_kernel_features(const KernelImage& k) {
  std::string text;
  if (!k.config_path.empty()) {
    std::ifstream in(k.config_path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  return probe_features(text, k.release);
}

nlohmann::json features_json(const std::vector<KernelFeature>& features) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : features)
    out[f.name] = {{"available", f.available}, {"source", f.source}, {"evidence", f.evidence}, {"summary", f.summary}};
  return out;
}

const KernelFeature& feature(const std::vector<KernelFeature>& features, const std::string& name) {
  for (const auto& f : features)
    if (f.name == name) return f;
  throw std::out_of_range("no kernel feature named " + name);
}

}  // namespace kreg
