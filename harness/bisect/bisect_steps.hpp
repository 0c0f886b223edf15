// One bisect step as measured: a kernel of the list obtained (cached,
// downloaded or built) and booted N times side by side with the other
// kernels of its round, with the entry bisect.json keeps for it. A step
// bisect.json already holds as finished (an interrupted bisect resumed) is
// restored from its records instead of measured again.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/bisect/kernel_sequence.hpp"
#include "harness/bisect/measure_batch.hpp"

namespace kreg {

struct StepRun {
  size_t position = 0;
  std::string phase;                    // endpoint | step | confirm | revert
  nlohmann::json entry;                 // bisect.json's step, verdict not yet set
  std::vector<nlohmann::json> records;  // one per try, null where none
  bool restored = false;                // finished in an earlier session
  bool stopped = false;                 // Ctrl-C before every try ran
  std::string skip_reason;              // could not be obtained, or no try produced a record
};

class StepMeasurer {
 public:
  // `doc` is bisect.json as it was when the session began: its finished
  // steps are restored by run name.
  StepMeasurer(KernelSequence& sequence, MeasureContext& context, const nlohmann::json& doc);

  // The kernels at `positions` (phase "endpoint", "step" or "confirm"), each
  // `tries` times, in one batch. Obtaining is sequential (builds share one
  // object tree); the VMs then run side by side.
  std::vector<StepRun> measure(const std::vector<size_t>& positions, const std::string& phase, int tries);

  // The bad endpoint with `position`'s change reverted, `tries` times; a
  // skip_reason when it does not revert cleanly or does not build.
  StepRun measure_revert(size_t position, int tries);

 private:
  std::string run_name(size_t position, const std::string& phase) const;
  StepRun restore(const nlohmann::json& step) const;
  std::vector<StepRun> run(std::vector<StepRun> steps, std::vector<MeasureRequest> requests, std::vector<size_t> which);

  bool stop_asked() const { return context_.env.stop && context_.env.stop->load(); }

  KernelSequence& sequence_;
  MeasureContext& context_;
  const nlohmann::json doc_;  // bisect.json as the session found it
};

// A metric's median (and p90) at every point of a record:
// [{"target", "created", "median_ns", "p90_ns"}], [] when absent.
nlohmann::json metric_series(const nlohmann::json& record, const std::string& metric);

// The latency metrics a record's points hold, sorted.
std::vector<std::string> record_metrics(const nlohmann::json& record);

// Why a record lacks `metric` at its points ("" when it has it): the guest's
// point["skipped"] reason, or "not recorded".
std::string missing_metric_reason(const nlohmann::json& record, const std::string& metric);

}  // namespace kreg
