// A VM that panics, or never says hello, or whose directory cannot be made:
// each ends kreg with exit 2, a one-line error naming the cause, and the
// failure kept in run.json with the console tail.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/kreg_cli.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg::test {
namespace {

// The smoke suite's units (suites/smoke.toml: memcg-churn in v1 and v2, netns once).
const size_t kSmokeUnits = 3;

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
  ASSERT_EQ(run["units"].size(), kSmokeUnits) << run.dump();
  for (const auto& u : run["units"]) EXPECT_EQ(u["end"], "panic") << u.dump();
  ASSERT_EQ(run["failures"].size(), run["units"].size()) << "every VM failed, and every one is reported";
  for (const auto& f : run["failures"])
    EXPECT_NE(f["console_tail"].get<std::string>().find("Kernel panic"), std::string::npos);
}

TEST(VmFailure, GuestThatNeverSaysHelloIsKilled) {
  TempDir dir;
  CapturedRun r = run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "h", "--hello-timeout", "0.3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(last_line(r.err).find("did not say hello"), std::string::npos) << r.err;
  nlohmann::json run = read_json(dir.path + "/h/run.json");
  ASSERT_EQ(run["units"].size(), kSmokeUnits) << run.dump();
  for (const auto& u : run["units"]) {
    EXPECT_EQ(u["end"], "no-hello");
    EXPECT_LT(u["wall_s"].get<double>(), 30.0) << "the hung VM was not killed promptly";
  }
}

TEST(VmFailure, GuestOutOfMemoryIsReportedWithConsoleTail) {
  TempDir dir;
  // 2000 live netns (~400 KiB each) cannot fit in 160 MiB: the guest's OOM
  // killer takes the namespace holders and the sweep ends short.
  std::ofstream(dir.path + "/oom.toml") << R"(kernels = ["debian:bookworm:6.1"]
cgroup_modes = ["v1"]
[vm]
vcpus = 1
memory_mib = 160
timeout_s = 300
[[job]]
id = "netns/live"
scenario = "netns"
params = { mode = "live" }
targets = [0, 2000]
samples = 5
)";
  CapturedRun r = run_kreg({"run", dir.path + "/oom.toml", "--results", dir.path, "--run-id", "o"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(last_line(r.err).find("OOM killer"), std::string::npos) << r.err;
  nlohmann::json run = read_json(dir.path + "/o/run.json");
  ASSERT_EQ(run["failures"].size(), 1u);
  EXPECT_EQ(run["failures"][0]["end"], "oom");
  EXPECT_NE(run["failures"][0]["console_tail"].get<std::string>().find("Out of memory"), std::string::npos);
}

TEST(VmFailure, UnwritableUnitDirectoryIsAOneLineError) {
  // The kernel is in the cache (the smoke test fetched it), maybe beside
  // others: block the VM directory of every unit of every cached release.
  TempDir dir;
  int blocked = 0;
  for (const auto& e : std::filesystem::directory_iterator(default_cache_dir() + "/kernels")) {
    if (!std::filesystem::exists(e.path() / "kernel.json")) continue;
    std::string release = read_json((e.path() / "kernel.json").string()).value("release", "");
    if (release.empty()) continue;
    // A file where the unit's directory (holding its attempt-<n>/) should go.
    std::filesystem::create_directories(dir.path + "/i/vm/" + release);
    for (const char* unit : {"memcg-churn__tmpfs-4096__v1", "memcg-churn__tmpfs-4096__v2", "netns__live"})
      std::ofstream(dir.path + "/i/vm/" + release + "/" + unit) << "not a directory\n";
    ++blocked;
  }
  ASSERT_GT(blocked, 0) << "no cached kernel";
  CapturedRun r = run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "i"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(last_line(r.err).find("cannot create " + dir.path + "/i/vm/"), std::string::npos) << r.err;
  nlohmann::json run = read_json(dir.path + "/i/run.json");
  ASSERT_EQ(run["units"].size(), kSmokeUnits) << run.dump();
  for (const auto& u : run["units"]) EXPECT_EQ(u["end"], "setup") << u.dump();
}

}  // namespace
}  // namespace kreg::test
