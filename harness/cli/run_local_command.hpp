// `--local`: the jobs on the host kernel, stored like VM records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/cli/run_command.hpp"

namespace kreg {

// Sets `run_dir` as soon as the run directory exists.
int run_local_command(const RunOptions& options, const nlohmann::json& jobs, const std::string& run_id,
                      std::string& run_dir);

}  // namespace kreg
