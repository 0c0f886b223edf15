// kreg bisect end to end with real QEMU on a small list (three boots of
// Debian's 6.1 cloud kernel, a tiny live-netns sweep, one try each): it is
// interrupted with Ctrl-C once the first boot has a record, resumed (that
// boot is kept, not run again), and resumed once more after it finished
// (nothing runs, same answer). Whatever the kernels answer, bisect.json
// must be consistent: endpoints first, every step with kernel, verdict,
// evidence and wall time, verdicts that follow from their vote counts, an
// answer that follows from the steps, and the exit code that goes with it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> records_under(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".json" && e.path().parent_path().parent_path().filename() == "jobs")
      out.push_back(e.path());
  return out;
}

int exit_code_of(pid_t pid, double timeout_s) {
  auto start = Clock::now();
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void expect_consistent(const nlohmann::json& doc, const std::string& dir, int exit_code) {
  ASSERT_EQ(doc.value("schema", ""), "kreg.bisect");
  const auto& steps = doc["steps"];
  ASSERT_GE(steps.size(), 2u);
  EXPECT_EQ(steps[0]["phase"], "endpoint");
  EXPECT_EQ(steps[0]["position"], 0);
  EXPECT_EQ(steps[0]["verdict"], "good");
  EXPECT_EQ(steps[1]["phase"], "endpoint");
  EXPECT_EQ(steps[1]["position"], 2);
  for (const auto& s : steps) {
    SCOPED_TRACE(s.dump());
    EXPECT_FALSE(s.value("kernel", "").empty());
    const std::string verdict = s.value("verdict", "");
    EXPECT_TRUE(verdict == "good" || verdict == "bad" || verdict == "skip");
    EXPECT_FALSE(s["evidence"].value("summary", "").empty());
    EXPECT_GT(s.value("wall_s", 0.0), 0.0);
    EXPECT_GE(s.value("wall_s", 0.0), s.value("run_s", 0.0));
    EXPECT_TRUE(fs::exists(dir + "/" + s.value("run_dir", "?") + "/run.json"));
    for (const auto& r : s["records"])
      if (r.is_string()) EXPECT_TRUE(fs::exists(dir + "/" + r.get<std::string>()));
    // A step other than the baseline is bad exactly when a metric's majority regressed.
    if (s["order"] == 0) continue;
    bool majority = false;
    for (const auto& m : s["evidence"]["metrics"]) majority |= 2 * m.value("regressed", 0) > m.value("comparisons", 1);
    EXPECT_EQ(verdict == "bad", majority);
  }
  const auto& result = doc["result"];
  const std::string status = result.value("status", "");
  EXPECT_EQ(result.value("exit_code", -1), exit_code);
  EXPECT_EQ(exit_code == 0, status == "found") << status;
  if (steps[1]["verdict"] == "good") EXPECT_EQ(status, "no-regression");
  if (status == "found" || status == "not-confirmed") {
    EXPECT_EQ(result["first_bad"]["position"].get<int>(), result["last_good"]["position"].get<int>() + 1);
    int confirms = 0;
    for (const auto& s : steps) confirms += s["phase"] == "confirm";
    EXPECT_EQ(confirms, 2);
  }
  std::string md = bytes(dir + "/bisect.md");
  EXPECT_NE(md.find(status), std::string::npos);
  EXPECT_EQ(bytes(dir + "/bisect.png").substr(1, 3), "PNG");
}

TEST(VmBisect, InterruptedResumedAndConsistent) {
  TempDir tmp;
  const std::string dir = tmp.path + "/b";
  std::vector<std::string> args = {kreg_binary(),
                                   "bisect",
                                   "debian:bookworm:6.1",
                                   "debian:bookworm:6.1",
                                   "debian:bookworm:6.1",
                                   "--job",
                                   "netns/live",
                                   "--metric",
                                   "sysctl_ipv6_disable_ipv6_open",
                                   "--targets",
                                   "0,20",
                                   "--samples",
                                   "20",
                                   "--tries",
                                   "1",
                                   "--results",
                                   tmp.path,
                                   "--bisect-id",
                                   "b"};
  pid_t pid = spawn_process(args, {"", tmp.path + "/1.out", tmp.path + "/1.err", true});
  auto start = Clock::now();
  while (records_under(dir + "/runs").empty() && std::chrono::duration<double>(Clock::now() - start).count() < 600)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::vector<std::string> first = records_under(dir + "/runs");
  ASSERT_FALSE(first.empty()) << bytes(tmp.path + "/1.err");
  const std::string kept = bytes(first[0]);
  kill(pid, SIGINT);
  int rc = exit_code_of(pid, 300);
  if (rc == 130) {  // stopped before it ended (it may also have finished: tiny sweeps are quick)
    nlohmann::json stopped = read_json(dir + "/bisect.json");
    EXPECT_EQ(stopped["status"], "stopped");
    EXPECT_NE(bytes(tmp.path + "/1.err").find("--resume b"), std::string::npos);
    CapturedRun resumed = run_kreg({"bisect", "--resume", "b", "--results", tmp.path});
    rc = resumed.exit_code;
  }
  ASSERT_TRUE(rc == 0 || rc == 2) << rc << bytes(tmp.path + "/1.err");
  EXPECT_EQ(bytes(first[0]), kept) << "a boot that had its record was run again";
  expect_consistent(read_json(dir + "/bisect.json"), dir, rc);

  // Resumed once more when finished: no VM, the same answer.
  std::map<std::string, std::string> before;
  for (const auto& r : records_under(dir + "/runs")) before[r] = bytes(r);
  const nlohmann::json answer = read_json(dir + "/bisect.json")["result"];
  CapturedRun again = run_kreg({"bisect", "--resume", "b", "--results", tmp.path});
  EXPECT_EQ(again.exit_code, rc) << again.err;
  EXPECT_EQ(again.err.find(" try 1/1 "), std::string::npos) << "a finished bisect booted again: " << again.err;
  for (const auto& [path, text] : before) EXPECT_EQ(bytes(path), text) << path;
  EXPECT_EQ(read_json(dir + "/bisect.json")["result"]["message"], answer["message"]);
  expect_consistent(read_json(dir + "/bisect.json"), dir, rc);
}

}  // namespace
}  // namespace kreg::test
