// One entry point for every kind of job, shared by the guest agent and
// --local: "sweep" (default: a generator through its targets, measuring at
// each point) and "speed" (generators against their raw floors).
#pragma once

#include <nlohmann/json.hpp>

#include "bench/speed_runner.hpp"
#include "bench/sweep_runner.hpp"

namespace kreg {

inline nlohmann::json run_job(const nlohmann::json& job, const SweepEnvironment& env, const ProgressFn& progress) {
  std::string kind = job.value("kind", "sweep");
  if (kind == "speed") return run_speed(job, env, progress);
  if (kind == "sweep") return run_sweep(job, env, progress);
  throw std::invalid_argument("job " + job.value("job_id", "?") + ": unknown kind '" + kind + "' (sweep or speed)");
}

}  // namespace kreg
