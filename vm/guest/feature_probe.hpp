// What the running guest kernel offers, probed at run time (not guessed
// from the version): recorded in the hello frame and in every job record, so
// a metric missing on one kernel is explained by evidence, never a failure.
// Each feature is {"available": true|false|null, "evidence": "..."}; null
// means it could not be probed on this boot (the evidence says why).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg::guest {

// Before any job: filesystems, /proc/cgroups, memcg v1 (by mounting it and
// unmounting at once), tracefs and kprobe events, dentry-state's
// nr_negative, module loading.
nlohmann::json probe_kernel_features();

// After a job mounted its hierarchy (`mode` v1 or v2): the files the
// memcg benchmarks read (nr_dying_descendants, memory.reclaim,
// memory.numa_stat, memory.force_empty), probed on a scratch child cgroup.
nlohmann::json probe_cgroup_features(const std::string& mode);

}  // namespace kreg::guest
