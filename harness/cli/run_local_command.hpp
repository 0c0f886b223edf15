// `--local`: the jobs on the host kernel, stored like VM records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/cli/run_command.hpp"

namespace kreg {

// `jobs` are the suite's jobs, one per cgroup mode ({"suite", "jobs"}).
RunResult run_local_command(const RunOptions& options, const Suite& suite, const nlohmann::json& jobs,
                            const std::string& run_id);

}  // namespace kreg
