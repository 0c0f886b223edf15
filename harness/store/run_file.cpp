#include "harness/store/run_file.hpp"

namespace kreg {

nlohmann::json new_run_json(const RunHeader& h) {
  return {{"schema", "kreg.run"},
          {"schema_version", kRunSchemaVersion},
          {"run_id", h.run_id},
          {"suite", h.suite},
          {"suite_effective", h.suite_effective},
          {"kernels", h.kernels},
          {"machine", h.machine},
          {"status", "running"},
          {"failures", nlohmann::json::array()},
          {"resumed", nlohmann::json::array()}};
}

void stamp_job_record(nlohmann::json& record, const std::string& run_id) {
  record["schema"] = "kreg.job";
  record["schema_version"] = kJobSchemaVersion;
  record["run_id"] = run_id;
}

}  // namespace kreg
