// The job sets `kreg run` knows until suites become TOML files: "default"
// (what README's first command runs) and "smoke" (what the tests boot).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/run_command.hpp"

namespace kreg {

// The jobs of `suite` with `options`' overrides applied, as the guest's
// jobs.json {"jobs": [...]}. Throws KregError for an unknown suite or an
// invalid override (naming the option and what would be valid).
nlohmann::json builtin_jobs(const RunOptions& options);

}  // namespace kreg
