// The memcg-dying job: churn memcgs up to each sweep target and, at every
// point, measure the stat-file read latency and read the kernel's counters.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

namespace kreg::guest {

// Called with a small JSON object ({"job_id", "churned", "target", ...})
// whenever there is progress worth showing on the host.
using ProgressFn = std::function<void(const nlohmann::json&)>;

// `job` holds the parameters documented in results/README.md ("job").
// Returns the points; throws only for a job that cannot start at all. A
// failure mid-sweep ends the sweep and is returned in "error" with the points
// measured so far (status "partial"): measured results are never thrown away.
nlohmann::json run_memcg_dying_job(const nlohmann::json& job, const ProgressFn& progress);

}  // namespace kreg::guest
