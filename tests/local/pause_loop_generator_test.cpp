// The pause-loop generator on this host's kernel: real cgroups (v1 memory and
// pids), real namespaces, real processes. Needs root. Every test makes its
// cgroups under kreg-test-<pid> and checks that nothing is left behind.
#include "scenarios/pause_loop_generator.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scenarios/cgroup_lib.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Subdirectories (cgroups) directly below `dir`.
std::vector<std::string> child_dirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory()) out.push_back(entry.path().filename());
  return out;
}

// PID 1 of a child pid namespace: the last NSpid column is 1.
bool is_ns_init(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("NSpid:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::vector<long> ids;
      for (long id; in >> id;) ids.push_back(id);
      return ids.size() >= 2 && ids.back() == 1;
    }
  return false;
}

// A sysctl as the given process's network namespace sees it. setns(CLONE_NEWNET)
// is per thread, and /proc/sys/net answers for the reading thread's netns.
std::string sysctl_in_netns_of(const std::string& pid, const std::string& sysctl) {
  std::string value = "<setns failed>";
  std::thread reader([&] {
    int fd = open(("/proc/" + pid + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0) value = read_first_line("/proc/sys/" + sysctl);
    if (fd >= 0) close(fd);
  });
  reader.join();
  return value;
}

bool has_children() {
  errno = 0;
  return !(waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD);
}

class PauseLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "needs root (cgroups, namespaces)";
    memory_ = kreg::controller_mount_point("memory");
    pids_ = kreg::controller_mount_point("pids");
    context_.cgroup_root = "kreg-test-" + std::to_string(getpid());
    char scratch[] = "/tmp/kreg-pause-test-XXXXXX";
    ASSERT_NE(mkdtemp(scratch), nullptr);
    context_.scratch_dir = scratch;
    context_.local = true;
  }
  void TearDown() override {
    for (const auto& mount : {memory_, pids_}) rmdir((mount + "/" + context_.cgroup_root).c_str());
    fs::remove_all(context_.scratch_dir);
  }
  // What the generator made must be gone once it cleaned up and we removed the root.
  void expect_nothing_left() {
    for (const auto& mount : {memory_, pids_}) {
      std::string root = mount + "/" + context_.cgroup_root;
      EXPECT_EQ(rmdir(root.c_str()) == 0 || errno == ENOENT, true) << root << ": " << std::strerror(errno);
      EXPECT_FALSE(fs::exists(root)) << root;
    }
    EXPECT_FALSE(has_children());
  }
  std::string parent_dir(const std::string& mount) const { return mount + "/" + context_.cgroup_root + "/kubepods"; }

  std::string memory_, pids_;
  kreg::GeneratorContext context_;
};

TEST_F(PauseLoopTest, FailFastLeavesNoPodBehind) {
  auto gen = kreg::make_generator("pause-loop", {{"fail_fast", true}}, context_);
  EXPECT_EQ(gen->object_name(), "pods");
  int64_t last_tick = 0;
  gen->advance_to(20, [&](int64_t created) { last_tick = created; });
  EXPECT_EQ(gen->created(), 20);
  EXPECT_EQ(last_tick, 20);

  nlohmann::json m = gen->measure();
  EXPECT_EQ(m["pods_created"], 20);
  EXPECT_EQ(m["pods_live"], 0);
  for (const char* key : {"memcg_dying", "slab_net_namespace_active_objs", "dentry_nr_dentry"})
    EXPECT_TRUE(m.contains(key)) << key << " missing from " << m.dump();
  for (const auto& mount : {memory_, pids_}) {
    EXPECT_TRUE(fs::is_directory(parent_dir(mount)));
    EXPECT_TRUE(child_dirs(parent_dir(mount)).empty()) << parent_dir(mount);
  }
  EXPECT_FALSE(has_children());

  gen->cleanup();
  gen->cleanup();  // idempotent
  expect_nothing_left();
}

TEST_F(PauseLoopTest, KeepWindowHoldsTheNewestPodsInTheirOwnNamespaces) {
  auto gen = kreg::make_generator("pause-loop", {{"keep", 5}, {"page_cache_bytes", 65536}}, context_);
  gen->advance_to(12, nullptr);
  EXPECT_EQ(gen->created(), 12);
  EXPECT_EQ(gen->measure()["pods_live"], 5);

  std::vector<std::string> pods = child_dirs(parent_dir(memory_));
  std::sort(pods.begin(), pods.end());
  EXPECT_EQ(pods, (std::vector<std::string>{"pod-10", "pod-11", "pod-12", "pod-8", "pod-9"}));
  std::string our_net = fs::read_symlink("/proc/self/ns/net"), our_pid = fs::read_symlink("/proc/self/ns/pid");
  std::vector<std::string> pause_pids, nets;
  for (const auto& pod : pods) {
    std::ifstream procs(parent_dir(memory_) + "/" + pod + "/cgroup.procs");
    for (std::string pid; procs >> pid;)
      if (is_ns_init(pid)) pause_pids.push_back(pid);
  }
  ASSERT_EQ(pause_pids.size(), 5u);
  for (const auto& pid : pause_pids) {
    std::string net = fs::read_symlink("/proc/" + pid + "/ns/net");
    EXPECT_NE(net, our_net);
    EXPECT_NE(fs::read_symlink("/proc/" + pid + "/ns/pid").string(), our_pid);
    nets.push_back(net);
    EXPECT_EQ(sysctl_in_netns_of(pid, "net/ipv4/ip_unprivileged_port_start"), "0") << "pause pid " << pid;
    EXPECT_EQ(sysctl_in_netns_of(pid, "net/ipv4/ping_group_range"), "0\t2147483647") << "pause pid " << pid;
  }
  std::sort(nets.begin(), nets.end());
  EXPECT_EQ(std::unique(nets.begin(), nets.end()), nets.end()) << "two pods share a netns";
  EXPECT_FALSE(fs::is_empty(context_.scratch_dir));  // the page-cache files

  gen->cleanup();
  EXPECT_EQ(gen->measure()["pods_live"], 0);
  EXPECT_TRUE(fs::is_empty(context_.scratch_dir));
  gen.reset();  // the destructor cleans up again: harmless
  expect_nothing_left();
}

// sysctl_proc "host": the sysctl I/O goes through the host's /proc (before the
// pod mounts its own), still in the pod's netns.
TEST_F(PauseLoopTest, HostProcModeStillConfiguresThePodsNetns) {
  auto gen = kreg::make_generator("pause-loop", {{"keep", 2}, {"sysctl_proc", "host"}}, context_);
  gen->advance_to(3, nullptr);
  EXPECT_EQ(gen->measure()["pods_live"], 2);
  int checked = 0;
  for (const auto& pod : child_dirs(parent_dir(memory_))) {
    std::ifstream procs(parent_dir(memory_) + "/" + pod + "/cgroup.procs");
    for (std::string pid; procs >> pid;)
      if (is_ns_init(pid)) {
        EXPECT_EQ(sysctl_in_netns_of(pid, "net/ipv4/ip_unprivileged_port_start"), "0") << "pause pid " << pid;
        ++checked;
      }
  }
  EXPECT_EQ(checked, 2);
  gen->cleanup();
  expect_nothing_left();
}

TEST_F(PauseLoopTest, InvalidParametersNameTheKey) {
  auto message_of = [&](const nlohmann::json& params) -> std::string {
    try {
      kreg::make_generator("pause-loop", params, context_);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "<no std::invalid_argument>";
  };
  EXPECT_NE(message_of({{"keep", -1}}).find("'keep'"), std::string::npos) << message_of({{"keep", -1}});
  EXPECT_NE(message_of({{"fail_fast", true}, {"keep", 3}}).find("'keep'"), std::string::npos);
  EXPECT_NE(message_of({{"fail_fast", "yes"}}).find("'fail_fast'"), std::string::npos);
  EXPECT_NE(message_of({{"sysctls", {{{"path", "/etc/passwd"}}}}}).find("'sysctls'"), std::string::npos);
  EXPECT_NE(message_of({{"parent", "../escape"}}).find("'parent'"), std::string::npos);
  EXPECT_NE(message_of({{"sysctl_proc", "guest"}}).find("'sysctl_proc'"), std::string::npos);
  EXPECT_NE(message_of({{"kep", 1}}).find("'kep'"), std::string::npos);
  expect_nothing_left();  // parameters are checked before any cgroup is made
}

// pids.max on the parent: the sandbox may exist (migration ignores the
// limit) but its fork of the pause process gets EAGAIN, a kernel refusal.
TEST_F(PauseLoopTest, PidsLimitIsAKernelRefusal) {
  auto gen = kreg::make_generator("pause-loop", {}, context_);
  { std::ofstream(parent_dir(pids_) + "/pids.max") << "1"; }
  try {
    gen->advance_to(1, nullptr);
    ADD_FAILURE() << "no GeneratorError";
  } catch (const kreg::GeneratorError& e) {
    EXPECT_EQ(e.operation(), "fork") << e.what();
    EXPECT_EQ(e.error_number(), EAGAIN) << e.what();
  }
  EXPECT_EQ(gen->created(), 0);
  EXPECT_TRUE(child_dirs(parent_dir(memory_)).empty());
  gen->cleanup();
  expect_nothing_left();
}

// Forks since boot (/proc/stat "processes"): only ever grows.
int64_t forks_since_boot() {
  std::ifstream stat("/proc/stat");
  for (std::string key; stat >> key;) {
    if (key == "processes") {
      int64_t n = -1;
      stat >> n;
      return n;
    }
    stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

// 100 fail-fast pods (speed against bench/raw/pause_loop_raw.c is `kreg run
// speed`'s figure): the kernel forked at least a pause process per pod, none
// is left, no pod cgroup stays, and cleanup removes everything.
TEST_F(PauseLoopTest, HundredFailFastPodsAreForkedAndLeaveNothing) {
  constexpr int kPods = 100;
  auto gen = kreg::make_generator("pause-loop", {{"fail_fast", true}}, context_);
  const int64_t forks_before = forks_since_boot();
  ASSERT_GT(forks_before, 0) << "no 'processes' line in /proc/stat";
  gen->advance_to(kPods, nullptr);
  EXPECT_GE(forks_since_boot() - forks_before, kPods) << "fewer forks than pods";
  EXPECT_EQ(gen->created(), kPods);
  nlohmann::json m = gen->measure();
  EXPECT_EQ(m["pods_created"], kPods);
  EXPECT_EQ(m["pods_live"], 0);
  for (const auto& mount : {memory_, pids_}) EXPECT_TRUE(child_dirs(parent_dir(mount)).empty()) << parent_dir(mount);
  EXPECT_FALSE(has_children());
  gen->cleanup();
  expect_nothing_left();
}

}  // namespace
