// Crash safety under real faults (issue 15), continued: the results
// filesystem fills up, the results directory refuses run.json, and a bit
// flips in a unit's ttyS1 stream. Helpers and the fault table: see
// vm_fault_helpers.hpp.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>

#include "tests/integration/vm_fault_helpers.hpp"

namespace kreg::test {
namespace {

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
  const auto [lost, left] = resume_to_completion(root, "f", run_dir, before, dir.path);
  table_row("results tmpfs (96 MiB) filled while unit 2 of 2 runs", reported, lost, left_after.size(),
            "ok after freeing space");
  table_row("--resume on the still-full tmpfs", last_line(full.err), lost, left.size(),
            "stopped at its first refused write");
}

// The results directory refuses kreg's own writes mid-run (run.json's
// temporary file turned into a directory while both VMs run): the run stops
// at once with that error, the other VM is stopped, nothing finished is lost.
// The fault comes as soon as the short unit a is inside its job: waiting for
// both jobs let a loaded host finish a before b's VM had booted, and two
// equally long jobs can finish in the same millisecond.
TEST(VmFaults, ResultsDirectoryRefusesRunJsonMidRun) {
  TempDir dir;
  const std::string suite = write_suite(dir.path, 2, 300, 'b'), run_dir = dir.path + "/w";
  BackgroundKreg kreg(dir.path, {"run", suite, "--results", dir.path, "--run-id", "w", "--parallel", "2"});
  ASSERT_TRUE(wait_until(300, [&] { return job_started(run_dir, "a"); })) << kreg.stderr_text();
  fs::create_directory(run_dir + "/run.json.tmp");
  EXPECT_EQ(kreg.wait(300), 2) << kreg.stderr_text();
  const std::string reported = last_line(kreg.stderr_text());
  EXPECT_NE(reported.find("cannot write " + run_dir + "/run.json.tmp: Is a directory; the run stopped"),
            std::string::npos)
      << kreg.stderr_text();
  EXPECT_NE(reported.find("kreg run --resume w"), std::string::npos) << reported;
  const Records before = records_of(run_dir);
  // The unit that finished first stored its record; the other was stopped.
  ASSERT_EQ(before.size(), 1u) << "the second VM ran on after the failed write";
  const std::string stopped = before.begin()->first.find("netns__a") != std::string::npos ? "b" : "a";
  EXPECT_NE(kreg.stderr_text().find("/netns/" + stopped + " stopped in"), std::string::npos) << kreg.stderr_text();
  const auto left_after = processes_left(dir.path);
  EXPECT_TRUE(left_after.empty()) << joined(left_after);

  fs::remove(run_dir + "/run.json.tmp");
  const auto [lost, left] = resume_to_completion(dir.path, "w", run_dir, before, dir.path);
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

  const auto [lost, left] = resume_to_completion(dir.path, "c", run_dir, before, dir.path);
  table_row("one bit flipped in unit 1's ttyS1 job frame", "unit failed: " + a["reason"].get<std::string>(), lost,
            left_after.size(), "ok, 1 unit rerun");
}

}  // namespace
}  // namespace kreg::test
