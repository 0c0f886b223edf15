// The fault tests' shared helpers (see vm_fault_helpers.hpp).
#include "tests/integration/vm_fault_helpers.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace kreg::test {

// Units netns/a, netns/b, ...: each boots, keeps 10 live netns and measures
// at 0 and 10 (seconds under TCG); `long_job` measures at seven points.
std::string write_suite(const std::string& dir, int jobs, int timeout_s, char long_job) {
  const std::string path = dir + "/faults.toml";
  std::ofstream f(path);
  f << "name = \"faults\"\nkernels = [\"debian:bookworm:6.1\"]\ncgroup_modes = [\"v1\"]\n"
    << "[vm]\nvcpus = 1\ntimeout_s = " << timeout_s << "\nhello_timeout_s = 120\n";
  for (int j = 0; j < jobs; ++j)
    f << "[[job]]\nid = \"netns/" << char('a' + j) << "\"\nscenario = \"netns\"\nparams = { mode = \"live\" }\n"
      << "targets = " << (char('a' + j) == long_job ? "[0, 10, 20, 30, 40, 50, 60]" : "[0, 10]")
      << "\nsamples = 10\nwarmup = 1\n";
  return path;
}

Records records_of(const std::string& run_dir) {
  Records out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(run_dir + "/jobs", ec))
    if (e.path().extension() == ".json") out[e.path().string()] = file_bytes(e.path().string());
  return out;
}

// The console of a unit's VM attempt shows its guest inside the job.
bool job_started(const std::string& run_dir, const std::string& job, int attempt) {
  std::error_code ec;
  for (const auto& kernel : fs::directory_iterator(run_dir + "/vm", ec)) {
    fs::path console = kernel.path() / ("netns__" + job) / ("attempt-" + std::to_string(attempt)) / "console.log";
    if (file_bytes(console.string()).find("job netns/" + job + " starting") != std::string::npos) return true;
  }
  return false;
}

pid_t qemu_of(const std::string& run_dir, const std::string& job, int attempt) {
  auto pids = qemu_pids_with(run_dir + "/vm/");
  for (pid_t pid : pids)
    if (process_cmdline(pid).find("/netns__" + job + "/attempt-" + std::to_string(attempt) + "/") != std::string::npos)
      return pid;
  return 0;
}

// What still runs and names `dir`, after a grace period for dying processes.
std::vector<std::string> processes_left(const std::string& dir, double grace_s) {
  wait_until(grace_s, [&] { return processes_with(dir).empty(); });
  return processes_with(dir);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

nlohmann::json unit_of(const nlohmann::json& run, const std::string& job_id) {
  for (const auto& u : run["units"])
    if (u["job_id"] == job_id) return u;
  return nullptr;
}

std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

// Finished records of `before` missing or changed now, plus units of the run
// still without a record.
int units_lost(const Records& before, const std::string& run_dir) {
  Records after = records_of(run_dir);
  int lost = 0;
  for (const auto& [path, bytes] : before) lost += !after.contains(path) || after[path] != bytes;
  nlohmann::json run = read_json(run_dir + "/run.json");
  for (const auto& u : run["units"]) lost += !fs::exists(run_dir + "/" + u["record"].get<std::string>());
  return lost;
}

void table_row(const std::string& fault, const std::string& reported, int lost, size_t left,
               const std::string& resume) {
  std::printf("FAULT | %s | %s | %d | %zu | %s\n", fault.c_str(), reported.c_str(), lost, left, resume.c_str());
  std::fflush(stdout);
}

// After a resume: the run is complete, and no unit still names a QEMU.
void expect_complete(const std::string& run_dir) {
  nlohmann::json run = read_json(run_dir + "/run.json");
  EXPECT_EQ(run["status"], "ok") << run.dump(1);
  for (const auto& u : run["units"]) {
    EXPECT_TRUE(u["status"] == "ok" || u["status"] == "kept") << u.dump();
    EXPECT_FALSE(u.contains("qemu")) << u.dump();
  }
}

ResumeOutcome resume_to_completion(const std::string& results, const std::string& run_id, const std::string& run_dir,
                                   const Records& before, const std::string& dir) {
  CapturedRun resumed = run_kreg({"run", "--resume", run_id, "--results", results});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_complete(run_dir);
  ResumeOutcome out;
  out.lost = units_lost(before, run_dir);
  EXPECT_EQ(out.lost, 0);
  out.left = processes_left(dir);
  EXPECT_TRUE(out.left.empty()) << joined(out.left);
  return out;
}

}  // namespace kreg::test
