// A VM that panics, or never says hello, or whose image cannot be written:
// each ends kreg with exit 2, a one-line error naming the cause, and the
// failure kept in run.json with the console tail.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/kreg_cli.hpp"
#include "vm/kernel_fetch.hpp"

namespace kreg::test {
namespace {

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') + 1);
}

TEST(VmFailure, PanickingGuestIsReportedWithConsoleTail) {
  TempDir dir;
  // No such init: the kernel panics ("No working init found") before the agent runs.
  CapturedRun r = run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "p", "--append",
                            "rdinit=/nonexistent-init", "--hello-timeout", "120"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(last_line(r.err).find("panicked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Kernel panic"), std::string::npos) << "console tail not shown";
  nlohmann::json run = read_json(dir.path + "/p/run.json");
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["vm"]["end"], "panic");
  ASSERT_EQ(run["failures"].size(), 1u);
  EXPECT_NE(run["failures"][0]["console_tail"].get<std::string>().find("Kernel panic"), std::string::npos);
}

TEST(VmFailure, GuestThatNeverSaysHelloIsKilled) {
  TempDir dir;
  CapturedRun r = run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "h", "--hello-timeout", "0.3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(last_line(r.err).find("did not say hello"), std::string::npos) << r.err;
  nlohmann::json run = read_json(dir.path + "/h/run.json");
  EXPECT_EQ(run["vm"]["end"], "no-hello");
  EXPECT_LT(run["vm"]["wall_s"].get<double>(), 30.0) << "the hung VM was not killed promptly";
}

TEST(VmFailure, UnwritableInitramfsIsAOneLineError) {
  // The kernel is in the cache (the smoke test fetched it), maybe beside
  // others: block the image path of every cached release.
  TempDir dir;
  int blocked = 0;
  for (const auto& e : std::filesystem::directory_iterator(default_cache_dir() + "/kernels")) {
    if (!std::filesystem::exists(e.path() / "kernel.json")) continue;
    std::string release = read_json((e.path() / "kernel.json").string()).value("release", "");
    // A directory where the image file should go: the write must fail.
    if (!release.empty()) std::filesystem::create_directories(dir.path + "/i/vm/" + release + "/initramfs.cpio");
    blocked += !release.empty();
  }
  ASSERT_GT(blocked, 0) << "no cached kernel";
  CapturedRun r = run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "i"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.err) >= 1 && last_line(r.err).find("initramfs") != std::string::npos, true) << r.err;
}

}  // namespace
}  // namespace kreg::test
