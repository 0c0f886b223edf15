// Shared by the fault-injection tests (issue 15): a tiny netns suite, the
// records of a run, the processes that still name it, and the fault table's
// row ("FAULT | fault | what kreg reported | units lost | processes left |
// resume").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/integration/background_kreg.hpp"

namespace kreg::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Records = std::map<std::string, std::string>;  // record path -> bytes

// Units netns/a, netns/b, ...: each boots, keeps 10 live netns and measures
// at 0 and 10 (seconds under TCG); `long_job` measures at seven points.
std::string write_suite(const std::string& dir, int jobs, int timeout_s, char long_job = 0);
Records records_of(const std::string& run_dir);
// The console of a unit's VM attempt shows its guest inside the job.
bool job_started(const std::string& run_dir, const std::string& job, int attempt = 1);
pid_t qemu_of(const std::string& run_dir, const std::string& job, int attempt = 1);
// What still runs and names `dir`, after a grace period for dying processes.
std::vector<std::string> processes_left(const std::string& dir, double grace_s = 5);
std::string joined(const std::vector<std::string>& lines);
nlohmann::json unit_of(const nlohmann::json& run, const std::string& job_id);
std::string last_line(std::string text);
// Finished records of `before` missing or changed now, plus units of the run
// still without a record.
int units_lost(const Records& before, const std::string& run_dir);
void table_row(const std::string& fault, const std::string& reported, int lost, size_t left, const std::string& resume);
// After a resume: the run is complete, and no unit still names a QEMU.
void expect_complete(const std::string& run_dir);

// kreg run --resume RUN_ID --results RESULTS must exit 0 and complete the
// run, losing none of `before` and leaving nothing running that names `dir`.
struct ResumeOutcome {
  int lost = 0;
  std::vector<std::string> left;
};
ResumeOutcome resume_to_completion(const std::string& results, const std::string& run_id, const std::string& run_dir,
                                   const Records& before, const std::string& dir);

}  // namespace kreg::test
