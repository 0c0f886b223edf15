// How much memory a VM needs for its jobs: the guest's base plus what the
// kernel spends per object at the job's largest target. A VM that is too
// small measures the OOM killer instead of the pathology; one that is too
// large starves the other VMs of the matrix.
#pragma once

#include <nlohmann/json.hpp>

namespace kreg {

// Estimated MiB for {"jobs": [...]}, at least 1024, at most `host_limit_mib`.
int estimate_vm_memory_mib(const nlohmann::json& jobs, int host_limit_mib);

// Memory this host can give one VM: total RAM less 2 GiB for the host.
int host_memory_limit_mib();

}  // namespace kreg
