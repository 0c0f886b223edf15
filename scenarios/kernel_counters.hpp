// The kernel's own counters that every scenario reports before and after:
// meminfo (Slab, SUnreclaim, Percpu, ...), dentry-state, /proc/cgroups,
// and the slab caches that hold the objects kreg multiplies.
#pragma once

#include <nlohmann/json.hpp>

namespace kreg {

// Flat object of numbers, e.g. {"meminfo_slab_kb": 1, "dentry_nr_negative": 2,
// "slab_dentry_active_objs": 3, "cgroups_memory_num_cgroups": 4}. A counter
// the kernel does not offer is absent, never zero.
nlohmann::json read_kernel_counters();

}  // namespace kreg
