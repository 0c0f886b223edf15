// Crash safety under real faults (issue 15), with real QEMU and the real
// Debian 6.1 kernel the smoke suite uses (cached by ctest fetch_kernel), on tiny
// sweeps. Each test injects one fault into a running `kreg run` and asserts
// that no finished record is lost or changed, that no process is left
// behind (kreg, QEMU, helpers: anything naming the run's directory), and
// that a resume completes the run. Each prints its row of the fault table
// ("FAULT | fault | what kreg reported | units lost | processes left | resume").
// This file: faults on processes (kreg, QEMU); vm_faults_storage_test.cpp:
// faults on the results directory and the serial stream.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "tests/integration/vm_fault_helpers.hpp"

namespace kreg::test {
namespace {

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
  // a is the long unit, so its QEMU still runs when the kill comes.
  const std::string suite = write_suite(dir.path, 2, 300, 'a'), run_dir = dir.path + "/q";
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
  // a is the long unit, so its QEMU still runs when the SIGSTOP comes.
  const std::string suite = write_suite(dir.path, 2, timeout_s, 'a'), run_dir = dir.path + "/s";
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

  const auto [lost, left] = resume_to_completion(dir.path, "s", run_dir, before, dir.path);
  table_row(
      "SIGSTOP one QEMU past its " + std::to_string(timeout_s) + " s timeout",
      "unit failed after " + std::to_string(int(a["wall_s"].get<double>())) + " s: " + a["reason"].get<std::string>(),
      lost, left_after.size(), "ok, 1 unit rerun");
}

// SIGSTOP on a QEMU before its guest said hello: the stall a TCG livelock in
// the kernel's text patching looks like (vm/boot/qemu_vm.hpp). kreg kills it
// after a third of the hello timeout and boots the unit again; the unit
// measures in the second VM, and the record and run.json say it took 2 boots.
TEST(VmFaults, QemuStalledBeforeHelloIsBootedAgain) {
  TempDir dir;
  const double hello_timeout_s = 30;
  const std::string suite = write_suite(dir.path, 1, 300), run_dir = dir.path + "/b";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "b", "--hello-timeout",
                                 std::to_string(int(hello_timeout_s))});
  pid_t first = 0;
  ASSERT_TRUE(wait_until(120, [&] { return (first = qemu_of(run_dir, "a")) > 0; })) << kreg.stderr_text();
  ASSERT_EQ(kill(first, SIGSTOP), 0);
  // Stopped within 20 ms of its start, over a second before any hello under
  // TCG; had the hello come first, the unit would end at its 300 s timeout.
  EXPECT_EQ(kreg.wait(300), 0) << kreg.stderr_text();
  nlohmann::json run = read_json(run_dir + "/run.json");
  nlohmann::json a = unit_of(run, "netns/a");
  EXPECT_EQ(a["status"], "ok") << a.dump();
  EXPECT_EQ(a.value("boots", 1), 2) << a.dump();
  EXPECT_GE(a["wall_s"].get<double>(), hello_timeout_s / 3) << "the stall was not waited for";
  EXPECT_LT(a["wall_s"].get<double>(), hello_timeout_s + 60) << a.dump();
  const std::string attempt = run_dir + "/" + a["vm_dir"].get<std::string>();
  EXPECT_TRUE(fs::exists(attempt + "/console.log.stalled-boot-1")) << attempt;
  EXPECT_NE(kreg.stderr_text().find("stalled before hello and was booted again"), std::string::npos)
      << kreg.stderr_text();
  EXPECT_NE(kreg.stderr_text().find(attempt + "/console.log.stalled-boot-1"), std::string::npos)
      << "the note does not name the kept console: " << kreg.stderr_text();
  int with_two_boots = 0;
  for (const auto& [path, bytes] : records_of(run_dir))
    with_two_boots += nlohmann::json::parse(bytes)["timing"].value("boots", 1) == 2;
  EXPECT_EQ(with_two_boots, 1) << "the record does not say its VM took 2 boots";
  EXPECT_TRUE(processes_left(run_dir).empty());
  table_row("SIGSTOP a QEMU before hello", "booted again after " + std::to_string(int(hello_timeout_s / 3)) + " s", 0,
            processes_left(run_dir).size(), "not needed");
}

}  // namespace
}  // namespace kreg::test
