#include "scenarios/memcg_counts.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "scenarios/kernel_files.hpp"

namespace kreg {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

MemcgCounts count_memcgs(const std::string& memory_mount) {
  namespace fs = std::filesystem;
  MemcgCounts counts;
  counts.visible = 1;  // the hierarchy's root
  for (auto it = fs::recursive_directory_iterator(memory_mount, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && !it->is_symlink()) ++counts.visible;
  }
  auto subsys = parse_proc_cgroups(read_text_file("/proc/cgroups"));
  if (auto mem = subsys.find("memory"); mem != subsys.end()) {
    counts.num_cgroups = mem->second.num_cgroups;
    counts.dying = counts.num_cgroups - counts.visible;
    counts.dying_source = "proc_cgroups";
    return counts;
  }
  // No memory row (7.x): on cgroup v2 the root's cgroup.stat counts dying
  // descendants; prefer the per-subsystem key where the kernel has it.
  std::string stat_path = memory_mount + "/cgroup.stat";
  if (fs::exists(stat_path)) {
    auto stat = parse_flat_keyed(read_text_file(stat_path));
    const char* key = stat.count("nr_dying_subsys_memory") ? "nr_dying_subsys_memory" : "nr_dying_descendants";
    if (auto d = stat.find(key); d != stat.end()) {
      counts.dying = d->second;
      counts.num_cgroups = counts.visible + counts.dying;
      counts.dying_source = std::string("cgroup.stat:") + key;
    }
  }
  return counts;
}

}  // namespace kreg
