#include "scenarios/kernel_counters.hpp"

#include <cctype>
#include <string>

#include "scenarios/kernel_files.hpp"
#include "scenarios/memcg_counts.hpp"

namespace kreg {

namespace {

// The text of a /proc file, or "" where the kernel has no such file.
std::string optional_text(const char* path) {
  try {
    return read_text_file(path);
  } catch (const std::exception&) {
    return "";
  }
}

std::string snake(std::string name) {
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return name;
}

}  // namespace

nlohmann::json read_kernel_counters() {
  nlohmann::json c = nlohmann::json::object();
  auto meminfo = parse_meminfo_kb(optional_text("/proc/meminfo"));
  for (const char* key :
       {"MemFree", "MemAvailable", "Shmem", "Slab", "SReclaimable", "SUnreclaim", "Percpu", "KernelStack"})
    if (auto it = meminfo.find(key); it != meminfo.end()) c["meminfo_" + snake(key) + "_kb"] = it->second;

  if (auto d = parse_dentry_state(optional_text("/proc/sys/fs/dentry-state"))) {
    c["dentry_nr_dentry"] = d->nr_dentry;
    c["dentry_nr_unused"] = d->nr_unused;
    if (d->nr_negative) c["dentry_nr_negative"] = *d->nr_negative;
  }
  for (const auto& [name, row] : parse_proc_cgroups(optional_text("/proc/cgroups")))
    if (name == "memory" || name == "pids") c["cgroups_" + name + "_num_cgroups"] = row.num_cgroups;

  // The slab caches holding what the scenarios multiply: dentries and proc
  // inodes (sysctl lookups), network namespaces, tmpfs inodes.
  auto slabs = parse_slabinfo(optional_text("/proc/slabinfo"));
  for (const char* cache :
       {"dentry", "proc_inode_cache", "net_namespace", "shmem_inode_cache", "inode_cache", "sock_inode_cache"}) {
    if (auto it = slabs.find(cache); it != slabs.end()) {
      c["slab_" + std::string(cache) + "_active_objs"] = it->second.active_objs;
      c["slab_" + std::string(cache) + "_kb"] = it->second.num_objs * it->second.objsize / 1024;
    }
  }
  return c;
}

}  // namespace kreg
