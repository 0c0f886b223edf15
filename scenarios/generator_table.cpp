#include "scenarios/generator_table.hpp"

#include <algorithm>
#include <stdexcept>

#include "scenarios/cgroup_files.hpp"
#include "scenarios/dentry_negative_generator.hpp"
#include "scenarios/memcg_generator.hpp"
#include "scenarios/netns_generator.hpp"
#include "scenarios/pause_loop_generator.hpp"

namespace kreg {

namespace {

using json = nlohmann::json;

// Costs are rounded up from kreg's own records on 6.1 under TCG with 2 vCPUs
// (per_object and step_s): a dying memcg ~20 KiB of slab+percpu (percpu grows
// with vCPUs), a live netns ~220 KiB of slab plus its holder process, a pod
// that much again plus its cgroups, a negative dentry ~200 B. Memory is
// doubled for headroom. Seconds per object are the middle of the default
// suite's churn (step_s / objects) across 5.10-7.3 with 1 vCPU under TCG
// (2026-12-01): memcg 3.5-8.3 ms, netns dead 8-11 ms, live 9-12 ms, a pod
// 14-32 ms, a negative dentry 12-17 us. They only order units and plan
// shards before a unit's own time is known (harness/matrix/unit_times).
int64_t memcg_bytes(const json& p) {
  return 2 * (64 * 1024 + p.value("page_cache_bytes", int64_t{4096}) + 1024 * p.value("kobjects", 0));
}
double memcg_seconds(const json& p) {
  double s = 0.006 + 2e-9 * p.value("page_cache_bytes", 4096.0);  // writing the page cache
  return p.value("page_cache", "tmpfs") == "ext4" ? 2 * s : s;
}
int64_t netns_bytes(const json& p) { return p.value("mode", "dead") == "live" ? 2 * 400 * 1024 : 2 * 16 * 1024; }
double netns_seconds(const json& p) { return p.value("mode", "dead") == "live" ? 0.010 : 0.009; }
int64_t pause_bytes(const json& p) { return p.value("keep", 0) > 0 ? 2 * 600 * 1024 : 2 * 32 * 1024; }
double pause_seconds(const json&) { return 0.022; }
int64_t dentry_bytes(const json&) { return 2 * 256; }
double dentry_seconds(const json&) { return 0.000014; }

// The sysctl path walk from init_net: the ipv6 and core paths whose dentries
// pile into one hash chain, and ipv4's forwarding as the control no netns opens.
std::vector<StatPath> sysctl_paths(bool with_stat) {
  std::vector<StatPath> out;
  for (const char* op : {"open", "stat"}) {
    if (std::string(op) == "stat" && !with_stat) break;
    out.push_back({std::string("sysctl_ipv6_disable_ipv6_") + op, StatBase::Absolute,
                   "/proc/sys/net/ipv6/conf/all/disable_ipv6", op});
    out.push_back({std::string("sysctl_core_somaxconn_") + op, StatBase::Absolute, "/proc/sys/net/core/somaxconn", op});
    out.push_back({std::string("sysctl_ipv4_forwarding_") + op, StatBase::Absolute,
                   "/proc/sys/net/ipv4/conf/all/forwarding", op});
  }
  return out;
}

std::vector<GeneratorInfo> make_table() {
  std::vector<StatPath> pause_paths = sysctl_paths(false);
  pause_paths.push_back({"root_memory_stat_read", StatBase::MemoryRoot, "memory.stat"});
  return {
      {"memcg-churn",
       "memcgs",
       "mkdir a memcg, a task in it writes page cache, leaves, rmdir: the removed memcg stays dying",
       true,
       {"way", "page_cache", "page_cache_bytes", "parent", "name_prefix", "kobjects", "workers"},
       "",
       {{"memcg-churn", "memcgs churned (mkdir, write, exit, rmdir)", "memcg_dying", "dying memcgs", "memcg_dying",
         "dying memcgs"}},
       {{"root_memory_numa_stat_read", StatBase::MemoryRoot, "memory.numa_stat"},
        {"root_memory_stat_read", StatBase::MemoryRoot, "memory.stat"},
        {"parent_memory_numa_stat_read", StatBase::MemoryParent, "memory.numa_stat"},
        {"parent_memory_stat_read", StatBase::MemoryParent, "memory.stat"},
        {"root_cgroup_stat_read", StatBase::MemoryRoot, "cgroup.stat"},
        {"parent_cgroup_stat_read", StatBase::MemoryParent, "cgroup.stat"},
        // The v2 root has no memory.current.
        {"root_memory_current_read", StatBase::MemoryRoot, "memory.current", "read", "v1"},
        {"parent_memory_current_read", StatBase::MemoryParent, "memory.current"}},
       check_memcg_params,
       memcg_bytes,
       memcg_seconds,
       construct_memcg_generator},
      {"netns",
       "netns",
       "a network namespace that opened the ipv6 and core sysctls, kept alive or released",
       false,
       {"mode", "sysctls"},
       "mode",
       {{"netns/dead", "network namespaces created and released", "slab_net_namespace_active_objs",
         "net_namespace slab objects", "slab_net_namespace_active_objs", "net namespaces still allocated"},
        {"netns/live", "live network namespaces", "netns_live", "live netns"}},
       sysctl_paths(true),
       check_netns_params,
       netns_bytes,
       netns_seconds,
       construct_netns_generator},
      {"pause-loop",
       "pods",
       "a pod: memory+pids cgroup, new namespaces, sysctl writes, a pause process, teardown",
       true,
       {"keep", "fail_fast", "sysctls", "sysctl_proc", "page_cache_bytes", "parent"},
       "",
       {{"pause-loop", "pods run and torn down", "pods_live", "live pods", "memcg_dying", "dying memcgs"}},
       pause_paths,
       check_pause_loop_params,
       pause_bytes,
       pause_seconds,
       construct_pause_loop_generator},
      {"dentry-negative",
       "negative dentries",
       "a distinct failed lookup (or create+unlink) in one directory",
       false,
       {"mode", "dir"},
       "",
       {{"dentry-negative", "negative dentries created", "dentry_nr_negative", "negative dentries"}},
       // A name made negative by the generator (its cached dentry, found in
       // the hash chain) and one never used.
       {{"negative_dentry_cached_lookup", StatBase::ScenarioDir, "n0000000000", "lookup"},
        {"negative_dentry_fresh_lookup", StatBase::ScenarioDir, "kreg-never-created", "lookup"}},
       check_dentry_negative_params,
       dentry_bytes,
       dentry_seconds,
       construct_dentry_negative_generator},
  };
}

std::string known_names() {
  std::string list;
  for (const auto& g : generator_table()) list += (list.empty() ? "" : ", ") + g.name;
  return list;
}

json stat_path_json(const StatPath& p) {
  static const char* kBase[] = {"absolute", "memory root", "memory parent", "scenario dir"};
  json j = {{"metric", p.metric}, {"base", kBase[static_cast<int>(p.base)]}, {"file", p.file}, {"op", p.op}};
  if (!p.only_mode.empty()) j["only_mode"] = p.only_mode;
  return j;
}

// Every key known to the generator, then the generator's own checks.
void check_params(const GeneratorInfo& info, const json& params) {
  if (params.is_null()) return info.check_params(json::object());  // no parameters: every default
  if (!params.is_object())
    throw std::invalid_argument(info.name + ": parameters must be a table of KEY = VALUE, got " + params.dump());
  for (const auto& [key, value] : params.items())
    if (key == "cgroup_mode")
      throw std::invalid_argument(info.name +
                                  ": cgroup_mode is not a generator parameter; set the job's mode "
                                  "(cgroup_modes in a suite, --cgroup-mode on the command line)");
    else if (std::find(info.params.begin(), info.params.end(), key) == info.params.end()) {
      std::string list;
      for (const auto& k : info.params) list += (list.empty() ? "" : ", ") + k;
      throw std::invalid_argument(info.name + ": unknown parameter '" + key + "' (known: " + list + ")");
    }
  info.check_params(params);
}

}  // namespace

const std::vector<GeneratorInfo>& generator_table() {
  static const std::vector<GeneratorInfo> table = make_table();
  return table;
}

const GeneratorInfo& generator_info(const std::string& name) {
  for (const auto& g : generator_table())
    if (g.name == name) return g;
  throw std::invalid_argument("unknown scenario '" + name + "' (known: " + known_names() + ")");
}

std::vector<std::string> generator_names() {
  std::vector<std::string> names;
  for (const auto& g : generator_table()) names.push_back(g.name);
  return names;
}

const ScenarioFamily& scenario_family(const GeneratorInfo& info, const json& params) {
  if (info.family_param.empty() || info.families.size() == 1) return info.families.front();
  // The first family is the parameter's default.
  const std::string id =
      info.name + "/" + params.value(info.family_param, info.families.front().id.substr(info.name.size() + 1));
  for (const auto& f : info.families)
    if (f.id == id) return f;
  return info.families.front();
}

std::vector<StatRead> resolve_stat_paths(const std::vector<StatPath>& paths, const StatBases& bases) {
  std::vector<StatRead> out;
  for (const StatPath& p : paths) {
    if (!p.only_mode.empty() && p.only_mode != bases.cgroup_mode) continue;
    switch (p.base) {
      case StatBase::Absolute:
        out.push_back({p.metric, p.file, p.op});
        break;
      case StatBase::ScenarioDir:
        out.push_back({p.metric, bases.scenario_dir + "/" + p.file, p.op});
        break;
      case StatBase::MemoryRoot:
      case StatBase::MemoryParent: {
        auto file = cgroup_file(p.file, bases.cgroup_mode);
        if (!file) continue;  // no such file in this mode (cgroup.stat on v1)
        const std::string& dir = p.base == StatBase::MemoryRoot ? bases.memory_root : bases.memory_parent;
        out.push_back({p.metric, dir + "/" + *file, p.op});
      }
    }
  }
  return out;
}

std::vector<int64_t> checked_targets(const json& targets, const std::string& what) {
  if (!targets.is_array() || targets.empty())
    throw std::invalid_argument(what + " must be a non-empty list of object counts, e.g. [0, 1000, 2000]");
  std::vector<int64_t> out;
  int64_t previous = -1;
  for (const auto& t : targets) {
    if (!t.is_number_integer() || t.get<int64_t>() <= previous)
      throw std::invalid_argument(what + " must be non-negative integers, strictly increasing, got " + t.dump() +
                                  (previous >= 0 ? " after " + std::to_string(previous) : ""));
    previous = t.get<int64_t>();
    out.push_back(previous);
  }
  return out;
}

void check_sweep_job(const json& job) {
  const std::string id = job.value("job_id", job.value("id", "?"));
  try {
    check_params(generator_info(job.value("scenario", "")), job.value("params", json::object()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("job " + id + ": " + e.what());
  }
  checked_targets(job.value("targets", json()), "job " + id + ": 'targets'");
}

std::unique_ptr<Generator> make_generator(const std::string& name, const json& params,
                                          const GeneratorContext& context) {
  const GeneratorInfo& info = generator_info(name);
  check_params(info, params);
  std::unique_ptr<Generator> generator = info.make(params, context);
  // Whatever prepare() made before it threw is removed: a failed start
  // leaves no cgroup or directory behind.
  try {
    generator->prepare();
  } catch (...) {
    generator->cleanup();
    throw;
  }
  return generator;
}

json generator_table_json() {
  json out = json::array();
  for (const auto& g : generator_table()) {
    json families = json::array(), paths = json::array();
    for (const auto& f : g.families)
      families.push_back({{"id", f.id},
                          {"x_label", f.x_label},
                          {"held_key", f.held_key},
                          {"held_label", f.held_label},
                          {"retained_key", f.retained_key},
                          {"retained_label", f.retained_label}});
    for (const auto& p : g.stat_paths) paths.push_back(stat_path_json(p));
    out.push_back({{"name", g.name},
                   {"object", g.object},
                   {"summary", g.summary},
                   {"uses_cgroups", g.uses_cgroups},
                   {"params", g.params},
                   {"family_param", g.family_param},
                   {"families", families},
                   {"stat_paths", paths}});
  }
  return out;
}

}  // namespace kreg
