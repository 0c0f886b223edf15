// A sweep: one generator raises its object count through the job's targets;
// at every point the runner reads the kernel's counters, the generator's
// measured object counts and (optionally) the read latency of the scenario's
// stat files. The same code runs as the guest agent's job and under
// `kreg ... --local` on the host.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/generator.hpp"

namespace kreg {

struct SweepEnvironment {
  GeneratorContext context;
  std::string statbench = "/kreg/bin/kreg-statbench";
  std::string raw_dir = "/kreg/bin/raw";      // the raw-syscall floor loops (bench/raw/)
  std::string busybox = "/kreg/bin/busybox";  // runs the shell proof of concept
  std::string poc_script = "/kreg/bench/memcg_poc.sh";
};

using ProgressFn = std::function<void(const nlohmann::json&)>;

// Job fields: job_id, scenario, params (generator parameters), targets
// (increasing object counts), latency (bool, default true), samples, warmup.
// Returns the record documented in results/README.md. A kernel refusal
// (GeneratorError) ends the sweep with status "partial" and keeps every point
// measured; invalid parameters throw std::invalid_argument before any work.
nlohmann::json run_sweep(const nlohmann::json& job, const SweepEnvironment& env, const ProgressFn& progress);

// errno -> "ENOSPC" etc. for records ("" if unknown).
std::string errno_name(int err);

}  // namespace kreg
