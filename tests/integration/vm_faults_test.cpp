// Crash safety under real faults (issue 15), with real QEMU and the real
// Debian 6.1 kernel the smoke suite uses (cached by ctest fetch_kernel), on tiny
// sweeps. Each test injects one fault into a running `kreg run` and asserts
// that no finished record is lost or changed, that no process is left
// behind (kreg, QEMU, helpers: anything naming the run's directory), and
// that a resume completes the run. Each prints its row of the fault table
// ("FAULT | fault | what kreg reported | units lost | processes left | resume").
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "tests/integration/background_kreg.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Units netns/a, netns/b, ...: each boots, keeps 10 live netns and measures
// at 0 and 10 (seconds under TCG); `long_job` measures at seven points.
std::string write_suite(const std::string& dir, int jobs, int timeout_s, char long_job = 0) {
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

using Records = std::map<std::string, std::string>;  // record path -> bytes

Records records_of(const std::string& run_dir) {
  Records out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(run_dir + "/jobs", ec))
    if (e.path().extension() == ".json") out[e.path().string()] = file_bytes(e.path().string());
  return out;
}

// The console of a unit's VM attempt shows its guest inside the job.
bool job_started(const std::string& run_dir, const std::string& job, int attempt = 1) {
  std::error_code ec;
  for (const auto& kernel : fs::directory_iterator(run_dir + "/vm", ec)) {
    fs::path console = kernel.path() / ("netns__" + job) / ("attempt-" + std::to_string(attempt)) / "console.log";
    if (file_bytes(console.string()).find("job netns/" + job + " starting") != std::string::npos) return true;
  }
  return false;
}

pid_t qemu_of(const std::string& run_dir, const std::string& job, int attempt = 1) {
  auto pids = qemu_pids_with(run_dir + "/vm/");
  for (pid_t pid : pids)
    if (process_cmdline(pid).find("/netns__" + job + "/attempt-" + std::to_string(attempt) + "/") != std::string::npos)
      return pid;
  return 0;
}

// What still runs and names `dir`, after a grace period for dying processes.
std::vector<std::string> processes_left(const std::string& dir, double grace_s = 5) {
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

// kill -9 on kreg while a unit's guest is inside its job. Its QEMU must die
// with it (PR_SET_PDEATHSIG). Then the two ways a resume can meet what is
// left: a QEMU of a dead owner still running (killed before anything
// starts), and a second resume of the same run at the same time (a one-line
// error naming the owner's PID).
TEST(VmFaults, KregKilledMidUnitThenTwoResumesAtOnce) {
  TempDir dir;
  const std::string suite = write_suite(dir.path, 3, 300), run_dir = dir.path + "/k";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "k", "--parallel", "1"});
  ASSERT_TRUE(wait_until(300, [&] { return !records_of(run_dir).empty() && job_started(run_dir, "b"); }))
      << kreg.stderr_text();
  const Records before = records_of(run_dir);
  const pid_t qemu = qemu_of(run_dir, "b");
  ASSERT_GT(qemu, 0);
  kill(kreg.pid, SIGKILL);
  EXPECT_EQ(kreg.wait(10), -1);
  const auto killed_at = Clock::now();
  const bool qemu_gone = wait_until(5, [&] { return qemu_pids_with(run_dir + "/").empty(); });
  const double qemu_gone_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  EXPECT_TRUE(qemu_gone) << "QEMU outlived the kreg that started it";
  const auto left_after_kill = processes_left(run_dir);
  EXPECT_TRUE(left_after_kill.empty()) << joined(left_after_kill);

  // run.json named the running QEMU (PID and start time) before the kill.
  nlohmann::json run = read_json(run_dir + "/run.json");
  nlohmann::json b = unit_of(run, "netns/b");
  ASSERT_TRUE(b.contains("qemu")) << b.dump();
  EXPECT_EQ(b["qemu"]["pid"], qemu);
  EXPECT_GT(b["qemu"]["start_time"].get<uint64_t>(), 0u);
  EXPECT_EQ(b["vm_dir"].get<std::string>().substr(b["vm_dir"].get<std::string>().size() - 10), "/attempt-1");

  // A QEMU such as a kreg without PR_SET_PDEATHSIG (any kreg before this
  // change) leaves behind: this test starts it (paused with -S, so it costs
  // no CPU), naming the unit's attempt directory as kreg's QEMUs do, and
  // records it in the unit's entry exactly where kreg records its QEMUs.
  const std::string attempt_dir = run_dir + "/" + b["vm_dir"].get<std::string>();
  const pid_t leftover = spawn_process({"qemu-system-x86_64", "-nodefaults", "-S", "-display", "none", "-monitor",
                                        "none", "-serial", "file:" + attempt_dir + "/leftover-console.log"},
                                       {"", dir.path + "/leftover.log", "=stdout", true});
  auto identity = identify_process(leftover);
  ASSERT_TRUE(identity);
  for (auto& u : run["units"])
    if (u["job_id"] == "netns/b")
      u["qemu"] = {{"pid", leftover}, {"start_time", identity->start_time}, {"boot_id", identity->boot_id}};
  std::ofstream(run_dir + "/run.json") << run.dump(2);

  BackgroundKreg first(dir.path, {"run", "--resume", "k", "--results", dir.path}, "resume1");
  BackgroundKreg second(dir.path, {"run", "--resume", "k", "--results", dir.path}, "resume2");
  // While the winner's rerun of netns/b is inside its job, a third resume
  // names the owner and that VM's QEMU.
  ASSERT_TRUE(wait_until(300, [&] { return job_started(run_dir, "b", 2); }));
  const pid_t rerun_qemu = qemu_of(run_dir, "b", 2);
  CapturedRun third = run_kreg({"run", "--resume", "k", "--results", dir.path});
  expect_one_line_error(third, "QEMU PID");
  EXPECT_NE(third.err.find(std::to_string(rerun_qemu)), std::string::npos) << third.err;
  const int rc1 = first.wait(400), rc2 = second.wait(400);
  ASSERT_TRUE((rc1 == 0 && rc2 == 2) || (rc1 == 2 && rc2 == 0)) << rc1 << " " << rc2 << "\n"
                                                                << first.stderr_text() << "\n---\n"
                                                                << second.stderr_text();
  BackgroundKreg& winner = rc1 == 0 ? first : second;
  BackgroundKreg& loser = rc1 == 0 ? second : first;
  const std::string lost_race = loser.stderr_text();
  expect_one_line_error(CapturedRun{2, "", lost_race}, "is in use by kreg PID " + std::to_string(winner.pid));
  EXPECT_EQ(line_count(lost_race), 1u) << lost_race;
  EXPECT_NE(third.err.find("is in use by kreg PID " + std::to_string(winner.pid)), std::string::npos) << third.err;

  // The winner killed the leftover before it started anything.
  int status = 0;
  ASSERT_EQ(waitpid(leftover, &status, WNOHANG), leftover) << "the leftover QEMU still runs";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  const std::string won = winner.stderr_text();
  const std::string note =
      "killed 1 QEMU left running by a dead kreg of this run (PID " + std::to_string(leftover) + ")";
  const size_t note_at = won.find(note);
  EXPECT_NE(note_at, std::string::npos) << won;
  EXPECT_LT(note_at, won.find(" units (")) << "the leftover was killed after units started";
  EXPECT_NE(won.find("2 to run"), std::string::npos) << won;

  expect_complete(run_dir);
  run = read_json(run_dir + "/run.json");
  EXPECT_EQ(unit_of(run, "netns/b")["attempt"], 2);
  EXPECT_EQ(read_json(run_dir + "/" + unit_of(run, "netns/b")["record"].get<std::string>())["unit"]["attempt"], 2);
  const int lost = units_lost(before, run_dir);
  EXPECT_EQ(lost, 0);
  const auto left = processes_left(dir.path);
  EXPECT_TRUE(left.empty()) << joined(left);
  table_row("SIGKILL kreg mid-unit (unit 2 of 3 running)",
            "nothing (killed); its QEMU gone " + std::to_string(int(qemu_gone_s * 1000)) + " ms later", lost,
            left_after_kill.size(), "ok, netns/b rerun as attempt-2");
  table_row("QEMU of a dead owner still running (planted, as an older kreg leaves it)", "kreg: " + note, lost,
            left.size(), "ok (the winning resume)");
  table_row("two kreg run --resume at once", last_line(lost_race), lost, left.size(), "ok: one ran, one refused");
  table_row("a third --resume while the winner's VM runs", last_line(third.err), lost, left.size(), "refused");
}

// kill -9 on one QEMU mid-job: that unit fails, the other finishes, and the
// resume reruns only it.
TEST(VmFaults, OneQemuKilled) {
  TempDir dir;
  const std::string suite = write_suite(dir.path, 2, 300), run_dir = dir.path + "/q";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "q", "--parallel", "2"});
  ASSERT_TRUE(wait_until(300, [&] { return job_started(run_dir, "a"); })) << kreg.stderr_text();
  ASSERT_EQ(kill(qemu_of(run_dir, "a"), SIGKILL), 0);
  EXPECT_EQ(kreg.wait(300), 2) << kreg.stderr_text();
  nlohmann::json run = read_json(run_dir + "/run.json");
  nlohmann::json a = unit_of(run, "netns/a");
  EXPECT_EQ(a["status"], "failed");
  EXPECT_EQ(a["end"], "exited-early") << a.dump();
  EXPECT_EQ(unit_of(run, "netns/b")["status"], "ok");
  const Records before = records_of(run_dir);
  EXPECT_EQ(before.size(), 1u);
  const auto left_after = processes_left(run_dir);
  EXPECT_TRUE(left_after.empty()) << joined(left_after);

  CapturedRun resumed = run_kreg({"run", "--resume", "q", "--results", dir.path});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("1 to run"), std::string::npos) << resumed.err;
  expect_complete(run_dir);
  EXPECT_EQ(unit_of(read_json(run_dir + "/run.json"), "netns/a")["attempt"], 2);
  const int lost = units_lost(before, run_dir);
  EXPECT_EQ(lost, 0);
  const auto left = processes_left(dir.path);
  EXPECT_TRUE(left.empty()) << joined(left);
  table_row("SIGKILL one QEMU mid-job", "unit failed: " + a["reason"].get<std::string>(), lost, left_after.size(),
            "ok, 1 unit rerun as attempt-2");
}

// SIGSTOP on a QEMU mid-job: it stops answering, kreg kills it at its
// timeout (SIGKILL ends a stopped process too).
TEST(VmFaults, StoppedQemuIsKilledAtItsTimeout) {
  TempDir dir;
  const int timeout_s = 60;
  const std::string suite = write_suite(dir.path, 2, timeout_s), run_dir = dir.path + "/s";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "s", "--parallel", "2"});
  ASSERT_TRUE(wait_until(300, [&] { return job_started(run_dir, "a"); })) << kreg.stderr_text();
  ASSERT_EQ(kill(qemu_of(run_dir, "a"), SIGSTOP), 0);
  EXPECT_EQ(kreg.wait(300), 2) << kreg.stderr_text();
  nlohmann::json run = read_json(run_dir + "/run.json");
  nlohmann::json a = unit_of(run, "netns/a");
  EXPECT_EQ(a["end"], "timeout") << a.dump();
  EXPECT_GE(a["wall_s"].get<double>(), timeout_s);
  EXPECT_LT(a["wall_s"].get<double>(), timeout_s + 15) << "the stopped VM was not killed at its timeout";
  EXPECT_EQ(unit_of(run, "netns/b")["status"], "ok");
  const Records before = records_of(run_dir);
  const auto left_after = processes_left(run_dir);
  EXPECT_TRUE(left_after.empty()) << joined(left_after);

  CapturedRun resumed = run_kreg({"run", "--resume", "s", "--results", dir.path});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_complete(run_dir);
  const int lost = units_lost(before, run_dir);
  EXPECT_EQ(lost, 0);
  const auto left = processes_left(dir.path);
  EXPECT_TRUE(left.empty()) << joined(left);
  table_row(
      "SIGSTOP one QEMU past its " + std::to_string(timeout_s) + " s timeout",
      "unit failed after " + std::to_string(int(a["wall_s"].get<double>())) + " s: " + a["reason"].get<std::string>(),
      lost, left_after.size(), "ok, 1 unit rerun");
}

// The results directory on a small tmpfs, filled up while the second unit's
// guest is inside its job: QEMU can no longer write the unit's streams, and
// kreg can no longer write its files.
TEST(VmFaults, ResultsFilesystemFillsUpMidRun) {
  TempDir dir;
  const std::string root = dir.path + "/results";
  fs::create_directories(root);
  // A unit needs its ~36 MiB initramfs while it boots; one VM at a time.
  ASSERT_EQ(mount("tmpfs", root.c_str(), "tmpfs", 0, "size=96m"), 0)
      << "mounting a tmpfs needs root (CI runs as root): " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{root};
  const std::string suite = write_suite(dir.path, 2, 300), run_dir = root + "/f";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", root, "--run-id", "f", "--parallel", "1"});
  ASSERT_TRUE(wait_until(300, [&] { return !records_of(run_dir).empty() && job_started(run_dir, "b"); }))
      << kreg.stderr_text();
  const Records before = records_of(run_dir);
  {  // every byte the filesystem has left
    std::ofstream filler(root + "/filler", std::ios::binary);
    std::string block(1 << 20, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  const int rc = kreg.wait(300);
  EXPECT_EQ(rc, 2) << kreg.stderr_text();
  const std::string reported = last_line(kreg.stderr_text());
  EXPECT_TRUE(reported.find("No space left on device") != std::string::npos ||
              reported.find("the results filesystem has") != std::string::npos)
      << kreg.stderr_text();
  for (const auto& [path, bytes] : before) EXPECT_EQ(file_bytes(path), bytes) << path;
  const auto left_after = processes_left(dir.path);
  EXPECT_TRUE(left_after.empty()) << joined(left_after);

  // Still full: the resume stops at its first refused write (the image of
  // the unit's next attempt may still fit, run.json's record of its QEMU
  // not), and that VM is killed at once.
  CapturedRun full = run_kreg({"run", "--resume", "f", "--results", root});
  expect_one_line_error(full, "No space left on device");
  EXPECT_TRUE(qemu_pids_with(run_dir + "/").empty());
  for (const auto& [path, bytes] : before) EXPECT_EQ(file_bytes(path), bytes) << path;

  fs::remove(root + "/filler");
  CapturedRun resumed = run_kreg({"run", "--resume", "f", "--results", root});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_complete(run_dir);
  const int lost = units_lost(before, run_dir);
  EXPECT_EQ(lost, 0);
  const auto left = processes_left(dir.path);
  EXPECT_TRUE(left.empty()) << joined(left);
  table_row("results tmpfs (96 MiB) filled while unit 2 of 2 runs", reported, lost, left_after.size(),
            "ok after freeing space");
  table_row("--resume on the still-full tmpfs", last_line(full.err), lost, left.size(),
            "stopped at its first refused write");
}

// The results directory refuses kreg's own writes mid-run (run.json's
// temporary file turned into a directory while both VMs run): the run stops
// at once with that error, the other VM is stopped, nothing finished is lost.
TEST(VmFaults, ResultsDirectoryRefusesRunJsonMidRun) {
  TempDir dir;
  const std::string suite = write_suite(dir.path, 2, 300, 'b'), run_dir = dir.path + "/w";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "w", "--parallel", "2"});
  ASSERT_TRUE(wait_until(300, [&] { return job_started(run_dir, "a") && job_started(run_dir, "b"); }))
      << kreg.stderr_text();
  fs::create_directory(run_dir + "/run.json.tmp");
  EXPECT_EQ(kreg.wait(300), 2) << kreg.stderr_text();
  const std::string reported = last_line(kreg.stderr_text());
  EXPECT_NE(reported.find("cannot write " + run_dir + "/run.json.tmp: Is a directory; the run stopped"),
            std::string::npos)
      << kreg.stderr_text();
  EXPECT_NE(reported.find("kreg run --resume w"), std::string::npos) << reported;
  const Records before = records_of(run_dir);
  // The unit that finished first stored its record; the other was stopped
  // (b usually, the longer one; a when the host starves a's VM).
  ASSERT_EQ(before.size(), 1u) << "the second VM ran on after the failed write";
  const std::string stopped = before.begin()->first.find("netns__a") != std::string::npos ? "b" : "a";
  EXPECT_NE(kreg.stderr_text().find("/netns/" + stopped + " stopped in"), std::string::npos) << kreg.stderr_text();
  const auto left_after = processes_left(dir.path);
  EXPECT_TRUE(left_after.empty()) << joined(left_after);

  fs::remove(run_dir + "/run.json.tmp");
  CapturedRun resumed = run_kreg({"run", "--resume", "w", "--results", dir.path});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_complete(run_dir);
  const int lost = units_lost(before, run_dir);
  EXPECT_EQ(lost, 0);
  const auto left = processes_left(dir.path);
  EXPECT_TRUE(left.empty()) << joined(left);
  table_row("run.json write refused mid-run (EISDIR), 2 VMs running", reported, lost, left_after.size(),
            "ok, " + std::to_string(2 - before.size()) + " unit(s) rerun");
}

// One bit flipped in the first job frame of one VM's ttyS1 stream on its way
// to disk (kreg-test-serial-flip, a FIFO between QEMU and results.serial;
// see tests/integration/serial_flip_qemu.cpp). The CRC-32 check must reject
// the frame: no record from it, and the unit fails with that reason.
TEST(VmFaults, FlippedByteInTtyS1FailsTheUnitOnItsCrc) {
  TempDir dir;
  const std::string suite = write_suite(dir.path, 2, 300), run_dir = dir.path + "/c";
  setenv("KREG_TEST_FLIP_SERIAL", "/netns__a/attempt-1/results.serial", 1);
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "c", "--parallel", "2", "--qemu",
                                 KREG_BINARY_DIR "/kreg-test-serial-flip"});
  unsetenv("KREG_TEST_FLIP_SERIAL");
  EXPECT_EQ(kreg.wait(300), 2) << kreg.stderr_text();
  nlohmann::json run = read_json(run_dir + "/run.json");
  nlohmann::json a = unit_of(run, "netns/a");
  EXPECT_EQ(a["status"], "failed");
  EXPECT_EQ(a["end"], "corrupt-frame") << a.dump();
  EXPECT_NE(a["reason"].get<std::string>().find("a 'job' frame of "), std::string::npos) << a.dump();
  EXPECT_NE(a["reason"].get<std::string>().find("failed its CRC-32 check"), std::string::npos) << a.dump();
  EXPECT_FALSE(fs::exists(run_dir + "/" + a["record"].get<std::string>())) << "a record from a rejected frame";
  EXPECT_EQ(unit_of(run, "netns/b")["status"], "ok");
  EXPECT_NE(last_line(kreg.stderr_text()).find("failed its CRC-32 check"), std::string::npos) << kreg.stderr_text();
  const Records before = records_of(run_dir);
  EXPECT_EQ(before.size(), 1u);
  const auto left_after = processes_left(dir.path);
  EXPECT_TRUE(left_after.empty()) << joined(left_after);

  CapturedRun resumed = run_kreg({"run", "--resume", "c", "--results", dir.path});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_complete(run_dir);
  const int lost = units_lost(before, run_dir);
  EXPECT_EQ(lost, 0);
  const auto left = processes_left(dir.path);
  EXPECT_TRUE(left.empty()) << joined(left);
  table_row("one bit flipped in unit 1's ttyS1 job frame", "unit failed: " + a["reason"].get<std::string>(), lost,
            left_after.size(), "ok, 1 unit rerun");
}

}  // namespace
}  // namespace kreg::test
