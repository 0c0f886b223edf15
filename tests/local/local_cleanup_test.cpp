// `--local` touches only what it creates and removes it on exit, on SIGINT
// and when its worker dies mid-loop: checked by listing what exists before
// and after, on the real host kernel.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "scenarios/kernel_files.hpp"
#include "scenarios/memcg_counts.hpp"
#include "vm/common/process.hpp"

namespace kreg {
namespace {

namespace fs = std::filesystem;

// Every kreg-local-* directory in every cgroup hierarchy and in /tmp.
std::set<std::string> local_leftovers() {
  std::set<std::string> found;
  std::vector<std::string> roots = {"/tmp"};
  for (const MountEntry& m : parse_mounts(read_text_file("/proc/mounts")))
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") roots.push_back(m.target);
  for (const auto& root : roots) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec))
      if (e.path().filename().string().rfind("kreg-local-", 0) == 0) found.insert(e.path().string());
  }
  return found;
}

// Field `n` (1-based) of /proc/<pid>/stat, after the command name.
long stat_field(pid_t pid, int n) {
  std::string text;
  try {
    text = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::exception&) {
    return -1;  // the process exited while we looked
  }
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= n && rest >> field; ++i) {
  }
  return std::atol(field.c_str());
}

std::vector<pid_t> processes_where(const std::function<bool(pid_t)>& pred) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    pid_t pid = std::atoi(e.path().filename().c_str());
    if (pid > 0 && pred(pid)) out.push_back(pid);
  }
  return out;
}

struct Kreg {
  pid_t pid;
  std::string dir = fs::temp_directory_path() / ("kreg-cleanup-test-" + std::to_string(getpid()));
  explicit Kreg(std::vector<std::string> args) {
    args.insert(args.begin(), KREG_BINARY_DIR "/kreg");
    args.insert(args.end(), {"--local", "--results", dir});
    pid = spawn_process(args, {"", dir + ".out", dir + ".err", true});
  }
  bool waited = false;
  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    waited = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string err() {
    std::ifstream in(dir + ".err");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  ~Kreg() {
    if (!waited) {  // a failed assertion returned early: never leave kreg running
      kill(pid, SIGINT);
      wait();
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::remove(dir + ".out", ec);
    fs::remove(dir + ".err", ec);
  }
};

// Waits until `ready` holds (true) or 60 s pass (false).
bool eventually(const std::function<bool()>& ready) {
  for (int i = 0; i < 600; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string memory_mount() {
  for (const MountEntry& m : parse_mounts(read_text_file("/proc/mounts")))
    if ((m.fstype == "cgroup" && m.options.find("memory") != std::string::npos)) return m.target;
  return "";
}

TEST(LocalCleanup, FinishedRunLeavesNothing) {
  auto before = local_leftovers();
  Kreg k({"scenario", "memcg-churn", "-n", "50"});
  EXPECT_EQ(k.wait(), 0) << k.err();
  EXPECT_EQ(local_leftovers(), before);
}

// The cgroup2 mount's root offers the memory controller (then no v1 hierarchy
// can have it).
bool memory_on_cgroup2() {
  for (const MountEntry& m : parse_mounts(read_text_file("/proc/mounts")))
    if (m.fstype == "cgroup2") {
      std::istringstream controllers(read_text_file(m.target + "/cgroup.controllers"));
      for (std::string c; controllers >> c;)
        if (c == "memory") return true;
    }
  return false;
}

// A whole suite on the host kernel: one record per job and cgroup mode. What
// the host can run is read from its mounts, not from kreg: the memcg job of
// the mode that has the memory controller and the netns job must be ok; the
// other mode's memcg job is skipped with a reason naming the memory
// controller. Nothing is left behind.
TEST(LocalCleanup, SmokeSuiteOnTheHostKernel) {
  const bool v1 = !memory_mount().empty(), v2 = memory_on_cgroup2();
  ASSERT_TRUE(v1 || v2) << "this host has no memory controller mounted at all";
  const std::map<std::string, std::string> expected = {{"memcg-churn/tmpfs-4096/v1", v1 ? "ok" : "skipped"},
                                                       {"memcg-churn/tmpfs-4096/v2", v2 ? "ok" : "skipped"},
                                                       {"netns/live", "ok"}};
  auto before = local_leftovers();
  Kreg k({"run", "smoke", "--run-id", "local-smoke"});
  ASSERT_EQ(k.wait(), 0) << k.err();
  std::map<std::string, std::string> got;
  for (const auto& e : fs::directory_iterator(k.dir + "/local-smoke/jobs")) {
    nlohmann::json r = nlohmann::json::parse(std::ifstream(e.path()));
    const std::string id = r.value("job_id", e.path().filename().string());
    got[id] = r.value("status", "(no status)");
    if (r["status"] == "skipped") {
      EXPECT_NE(r.value("skip_reason", "").find("memory"), std::string::npos) << id << ": " << r["skip_reason"];
    } else {
      EXPECT_FALSE(r["points"].empty()) << id << " is ok without a point";
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(local_leftovers(), before);
}

TEST(LocalCleanup, SigintMidChurnRemovesCgroupsAndScratch) {
  std::string mem = memory_mount();
  if (mem.empty()) GTEST_SKIP() << "no cgroup v1 memory hierarchy on this host (the memory controller is on cgroup v2)";
  auto before = local_leftovers();
  Kreg k({"scenario", "memcg-churn", "-n", "1000000"});
  std::string ours = mem + "/kreg-local-" + std::to_string(k.pid);
  // Churned memcgs are removed at once (that is the point), so wait for
  // their parent, then let the churn run for a moment. (The global memcg
  // count is no signal here: earlier runs' dying memcgs are being freed.)
  ASSERT_TRUE(eventually([&] { return fs::exists(ours + "/memcg-churn"); })) << k.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(k.pid, SIGINT);
  EXPECT_EQ(k.wait(), 130) << k.err();
  EXPECT_NE(k.err().find("interrupted"), std::string::npos) << k.err();
  EXPECT_FALSE(fs::exists(ours));
  EXPECT_EQ(local_leftovers(), before);
}

TEST(LocalCleanup, SigintWithLiveNamespacesKillsEveryHolder) {
  auto before = local_leftovers();
  Kreg k({"scenario", "netns", "-p", "mode=live", "-n", "100000"});
  pid_t worker = 0;
  // The worker is kreg's child and leads its own process group; the netns
  // holders are in that group.
  ASSERT_TRUE(eventually([&] {
    auto w = processes_where([&](pid_t p) { return stat_field(p, 4) == k.pid && stat_field(p, 5) == p; });
    if (!w.empty()) worker = w.front();
    return worker > 0 && processes_where([&](pid_t p) { return stat_field(p, 5) == worker; }).size() > 20;
  })) << k.err();
  kill(k.pid, SIGINT);
  EXPECT_EQ(k.wait(), 130) << k.err();
  EXPECT_TRUE(eventually([&] { return processes_where([&](pid_t p) { return stat_field(p, 5) == worker; }).empty(); }))
      << "netns holders survived";
  EXPECT_EQ(local_leftovers(), before);
}

TEST(LocalCleanup, WorkerKilledMidLoopIsReportedAndCleanedUp) {
  auto before = local_leftovers();
  Kreg k({"scenario", "memcg-churn", "-n", "1000000"});
  pid_t worker = 0;
  ASSERT_TRUE(eventually([&] {
    auto w = processes_where([&](pid_t p) { return stat_field(p, 4) == k.pid && stat_field(p, 5) == p; });
    if (!w.empty()) worker = w.front();
    return worker > 0;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(worker, SIGKILL);
  EXPECT_EQ(k.wait(), 2) << k.err();
  EXPECT_NE(k.err().find("worker died"), std::string::npos) << k.err();
  EXPECT_EQ(local_leftovers(), before);
}

TEST(LocalCleanup, SigkilledKregTakesItsWorkerAlongAndTheNextRunSweepsUp) {
  auto before = local_leftovers();
  pid_t worker = 0, killed = 0;
  {
    Kreg k({"scenario", "memcg-churn", "-n", "1000000"});
    killed = k.pid;
    ASSERT_TRUE(eventually([&] {
      auto w = processes_where([&](pid_t p) { return stat_field(p, 4) == k.pid && stat_field(p, 5) == p; });
      if (!w.empty()) worker = w.front();
      return worker > 0;
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(k.pid, SIGKILL);  // no chance to clean up
    EXPECT_EQ(k.wait(), 128 + SIGKILL);
  }
  EXPECT_TRUE(eventually([&] { return kill(worker, 0) != 0; })) << "the worker churns on without kreg";
  EXPECT_NE(local_leftovers(), before) << "nothing left to sweep: the test proves nothing";
  Kreg next({"scenario", "memcg-churn", "-n", "5"});
  EXPECT_EQ(next.wait(), 0) << next.err();
  for (const auto& left : local_leftovers())
    EXPECT_EQ(left.find("kreg-local-" + std::to_string(killed)), std::string::npos) << left << " was not swept";
  EXPECT_EQ(local_leftovers(), before);
}

}  // namespace
}  // namespace kreg
