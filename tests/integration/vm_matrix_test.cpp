// The matrix under stress, with real QEMU: a VM killed from outside is
// reported with its console tail while the other VMs finish; Ctrl-C stops
// kreg cleanly, keeping finished records and leaving no QEMU behind; and
// --resume re-runs exactly the units without a record, leaving the others'
// files untouched.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/integration/background_kreg.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

nlohmann::json unit_of(const nlohmann::json& run, const std::string& job_id) {
  for (const auto& u : run["units"])
    if (u["job_id"] == job_id) return u;
  return nullptr;
}

// Kills the QEMU of one unit as soon as its guest is up, then resumes.
TEST(VmMatrix, KilledVmIsReportedTheRestFinishesAndResumeRerunsOnlyIt) {
  TempDir dir;
  const std::string victim = "memcg-churn__tmpfs-4096__v1";
  BackgroundKreg kreg(dir.path, {"run", "smoke", "--results", dir.path, "--run-id", "m"});
  // Kill the victim's QEMU once its guest agent is running a job.
  const std::string console = dir.path + "/m/vm/";
  bool killed = false;
  auto start = Clock::now();
  while (!killed && std::chrono::duration<double>(Clock::now() - start).count() < 300) {
    for (pid_t pid : qemu_pids_with("/" + victim + "/attempt-1/initramfs.cpio")) {
      std::string log;
      for (const auto& e : fs::recursive_directory_iterator(console))
        if (e.path().parent_path().parent_path().filename() == victim && e.path().filename() == "console.log")
          log = e.path();
      if (file_bytes(log).find("job memcg-churn/tmpfs-4096/v1 starting") != std::string::npos)
        killed = kill(pid, SIGKILL) == 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(killed) << "the victim VM never started: " << kreg.stderr_text();
  int rc = kreg.wait(600);
  EXPECT_EQ(rc, 2) << kreg.stderr_text();

  nlohmann::json run = read_json(dir.path + "/m/run.json");
  EXPECT_EQ(run["status"], "failed");
  nlohmann::json dead = unit_of(run, "memcg-churn/tmpfs-4096/v1");
  ASSERT_FALSE(dead.is_null());
  EXPECT_EQ(dead["status"], "failed");
  EXPECT_EQ(dead["end"], "exited-early") << dead.dump();
  ASSERT_EQ(run["failures"].size(), 1u);
  EXPECT_NE(
      run["failures"][0]["console_tail"].get<std::string>().find("kreg-agent: job memcg-churn/tmpfs-4096/v1 starting"),
      std::string::npos)
      << "the console tail of the killed VM is kept";
  EXPECT_FALSE(fs::exists(dir.path + "/m/" + dead["record"].get<std::string>()));
  // Every other unit finished and stored its record.
  std::map<std::string, std::string> kept;
  for (const auto& u : run["units"]) {
    if (u["job_id"] == dead["job_id"]) continue;
    EXPECT_EQ(u["status"], "ok") << u.dump();
    std::string path = dir.path + "/m/" + u["record"].get<std::string>();
    ASSERT_TRUE(fs::exists(path));
    kept[path] = file_bytes(path);
  }
  ASSERT_EQ(kept.size(), run["units"].size() - 1);
  std::map<std::string, fs::file_time_type> mtimes;
  for (const auto& [path, bytes] : kept) mtimes[path] = fs::last_write_time(path);

  CapturedRun resumed = run_kreg({"run", "--resume", "m", "--results", dir.path});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("1 to run"), std::string::npos) << resumed.err;
  run = read_json(dir.path + "/m/run.json");
  EXPECT_EQ(run["status"], "ok");
  EXPECT_EQ(run["resumed"].size(), 1u);
  nlohmann::json rerun = unit_of(run, "memcg-churn/tmpfs-4096/v1");
  EXPECT_EQ(rerun["status"], "ok");
  EXPECT_TRUE(fs::exists(dir.path + "/m/" + dead["record"].get<std::string>()));
  // The rerun is attempt 2 in a directory of its own; attempt 1's console stays as evidence.
  EXPECT_EQ(dead["attempt"], 1) << dead.dump();
  EXPECT_EQ(rerun["attempt"], 2) << rerun.dump();
  EXPECT_EQ(read_json(dir.path + "/m/" + dead["record"].get<std::string>())["unit"]["attempt"], 2);
  EXPECT_NE(file_bytes(dir.path + "/m/" + dead["vm_dir"].get<std::string>() + "/console.log")
                .find("job memcg-churn/tmpfs-4096/v1 starting"),
            std::string::npos);
  for (const auto& [path, bytes] : kept) {
    EXPECT_EQ(file_bytes(path), bytes) << path << " was rewritten by --resume";
    EXPECT_EQ(fs::last_write_time(path), mtimes[path]) << path;
  }
  for (const auto& u : run["units"])
    if (u["job_id"] != "memcg-churn/tmpfs-4096/v1") EXPECT_EQ(u["status"], "kept");
}

// SIGINT (what Ctrl-C sends) once the first record is stored.
TEST(VmMatrix, CtrlCStopsCleanlyKeepingFinishedRecords) {
  TempDir dir;
  // One VM at a time: the stop lands while later units are still pending.
  BackgroundKreg kreg(dir.path, {"run", "smoke", "--results", dir.path, "--run-id", "c", "--parallel", "1"});
  std::string first_record;
  auto start = Clock::now();
  while (first_record.empty() && std::chrono::duration<double>(Clock::now() - start).count() < 300) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir.path + "/c/jobs", ec))
      if (e.path().extension() == ".json") first_record = e.path();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(first_record.empty()) << kreg.stderr_text();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the next VM is booting
  kill(kreg.pid, SIGINT);
  auto stop_sent = Clock::now();
  int rc = kreg.wait(60);
  double stop_s = std::chrono::duration<double>(Clock::now() - stop_sent).count();
  EXPECT_EQ(rc, 130) << kreg.stderr_text();
  EXPECT_LT(stop_s, 15.0) << "a stop must not wait for running VMs to finish their jobs";
  EXPECT_TRUE(qemu_pids_with(dir.path + "/c/").empty()) << "QEMU left running after Ctrl-C";
  nlohmann::json run = read_json(dir.path + "/c/run.json");
  EXPECT_EQ(run["status"], "stopped");
  EXPECT_NE(kreg.stderr_text().find("kreg run --resume c"), std::string::npos) << "the way on is printed";
  int ok = 0, not_done = 0;
  for (const auto& u : run["units"]) {
    bool has_record = fs::exists(dir.path + "/c/" + u["record"].get<std::string>());
    if (u["status"] == "ok") {
      ++ok;
      EXPECT_TRUE(has_record);
    } else {
      ++not_done;
      EXPECT_FALSE(has_record) << u.dump();
      EXPECT_TRUE(u["status"] == "stopped" || u["status"] == "pending") << u.dump();
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(not_done, 1);
  nlohmann::json record = read_json(first_record);  // intact JSON, the complete record
  EXPECT_EQ(record["status"], "ok");

  CapturedRun resumed = run_kreg({"run", "--resume", "c", "--results", dir.path});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(std::to_string(not_done) + " to run"), std::string::npos) << resumed.err;
  run = read_json(dir.path + "/c/run.json");
  EXPECT_EQ(run["status"], "ok");
  for (const auto& u : run["units"]) EXPECT_TRUE(fs::exists(dir.path + "/c/" + u["record"].get<std::string>()));
}

TEST(VmMatrix, ResumingARunThatDoesNotExistIsAOneLineError) {
  TempDir dir;
  CapturedRun r = run_kreg({"run", "--resume", "nope", "--results", dir.path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("no run nope to resume"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kreg::test
