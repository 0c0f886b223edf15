#include "vm/guest/feature_probe.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "bench/kernel_trace.hpp"

namespace kreg::guest {

namespace {

nlohmann::json feature(bool available, const std::string& evidence) {
  return {{"available", available}, {"evidence", evidence}};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// A line of /proc/filesystems ends with the type: "nodev\tcgroup2".
bool has_filesystem(const std::string& filesystems, const std::string& type) {
  std::istringstream lines(filesystems);
  for (std::string line; std::getline(lines, line);)
    if (line.size() >= type.size() && line.compare(line.size() - type.size(), type.size(), type) == 0 &&
        (line.size() == type.size() || line[line.size() - type.size() - 1] == '\t'))
      return true;
  return false;
}

nlohmann::json probe_memcg_v1(const std::string& cmdline) {
  if (cmdline.find("cgroup_no_v1=") != std::string::npos)
    return {{"available", nullptr}, {"evidence", "not probed: booted with cgroup_no_v1 (cgroup v2 mode)"}};
  const char* dir = "/run/kreg-probe-memcg-v1";
  mkdir("/run", 0755);
  mkdir(dir, 0755);
  if (mount("cgroup", dir, "cgroup", 0, "memory") != 0) {
    int e = errno;
    rmdir(dir);
    return feature(false, std::string("mount -t cgroup -o memory: ") + std::strerror(e) +
                              " (kernel built without CONFIG_MEMCG_V1, or memcg disabled)");
  }
  // No child was made: unmounting hands the controller back untouched.
  umount(dir);
  rmdir(dir);
  return feature(true, "mount -t cgroup -o memory succeeded");
}

int major_minor(const std::string& release) {
  int major = 0, minor = 0;
  std::sscanf(release.c_str(), "%d.%d", &major, &minor);
  return major * 1000 + minor;
}

}  // namespace

nlohmann::json probe_kernel_features() {
  const std::string filesystems = slurp("/proc/filesystems");
  const std::string cmdline = slurp("/proc/cmdline");
  utsname u{};
  uname(&u);
  nlohmann::json f;
  f["cgroup_v1"] = feature(has_filesystem(filesystems, "cgroup"), "/proc/filesystems lists cgroup");
  f["cgroup_v2"] = feature(has_filesystem(filesystems, "cgroup2"), "/proc/filesystems lists cgroup2");
  f["memcg_v1"] = probe_memcg_v1(cmdline);
  // 7.x drops v2-only controllers from /proc/cgroups: dying memcgs must then
  // be counted from cgroup.stat.
  const std::string cgroups = slurp("/proc/cgroups");
  bool listed = cgroups.find("\nmemory\t") != std::string::npos;
  f["memory_in_proc_cgroups"] =
      feature(listed, listed ? "/proc/cgroups has a memory row" : "/proc/cgroups has no memory row");
  std::string tracing = tracefs_dir();
  f["tracefs"] = feature(!tracing.empty(), tracing.empty() ? "no tracefs" : "tracefs at " + tracing);
  bool graph = !tracing.empty() && slurp(tracing + "/available_tracers").find("function_graph") != std::string::npos;
  f["function_graph"] = feature(graph, graph ? "available_tracers lists function_graph"
                                             : "no function_graph tracer (CONFIG_FUNCTION_GRAPH_TRACER)");
  bool kprobes = !tracing.empty() && exists(tracing + "/kprobe_events");
  f["kprobe_events"] = feature(kprobes, kprobes ? tracing + "/kprobe_events exists" : "no kprobe_events file");
  // dentry-state's fifth field became nr_negative in 5.0; before it was an unused 0.
  std::istringstream ds(slurp("/proc/sys/fs/dentry-state"));
  int fields = 0;
  for (long long v; ds >> v;) ++fields;
  bool negative = fields >= 5 && major_minor(u.release) >= 5000;
  f["dentry_nr_negative"] =
      feature(negative, std::to_string(fields) + " fields in dentry-state, kernel " + u.release +
                            (negative ? " (>= 5.0 names the 5th nr_negative)" : " (< 5.0: no nr_negative)"));
  bool modules = exists("/proc/modules");
  f["module_loading"] = feature(modules, modules ? "/proc/modules exists" : "no /proc/modules (CONFIG_MODULES off)");
  return f;
}

nlohmann::json probe_cgroup_features(const std::string& mode) {
  nlohmann::json f;
  if (mode == "v1") {
    const std::string root = "/sys/fs/cgroup/memory";
    f["memory_numa_stat"] = feature(exists(root + "/memory.numa_stat"), root + "/memory.numa_stat");
    f["memory_force_empty"] = feature(exists(root + "/memory.force_empty"), root + "/memory.force_empty");
    f["nr_dying_descendants"] = feature(false, "cgroup.stat exists on cgroup v2 only");
    f["memory_reclaim"] = feature(false, "memory.reclaim exists on cgroup v2 only");
    return f;
  }
  const std::string root = "/sys/fs/cgroup/unified";
  bool dying = slurp(root + "/cgroup.stat").find("nr_dying_descendants") != std::string::npos;
  f["nr_dying_descendants"] = feature(dying, root + "/cgroup.stat");
  bool per_subsys = slurp(root + "/cgroup.stat").find("nr_dying_subsys_memory") != std::string::npos;
  f["nr_dying_subsys_memory"] = feature(per_subsys, root + "/cgroup.stat");
  // memory.* files exist on non-root cgroups only: look on an empty child.
  const std::string child = root + "/kreg-feature-probe";
  if (mkdir(child.c_str(), 0755) != 0 && errno != EEXIST) {
    std::string why = std::string("cannot create ") + child + ": " + std::strerror(errno);
    for (const char* k : {"memory_reclaim", "memory_numa_stat"}) f[k] = {{"available", nullptr}, {"evidence", why}};
    return f;
  }
  for (const auto& [key, file] :
       {std::pair{"memory_reclaim", "memory.reclaim"}, {"memory_numa_stat", "memory.numa_stat"}})
    f[key] = feature(exists(child + "/" + file),
                     std::string("v2 child cgroup ") + (exists(child + "/" + file) ? "has " : "lacks ") + file);
  f["memory_force_empty"] = feature(false, "memory.force_empty exists on cgroup v1 only");
  rmdir(child.c_str());  // empty, never charged: freed at once, not left dying
  return f;
}

}  // namespace kreg::guest
