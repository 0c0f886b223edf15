// The netns generator on the host kernel, as root: real namespaces, real
// children. Checks what the kernel shows (/proc), not what the generator says.
#include "scenarios/netns_generator.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/ci_skip.hpp"

namespace {

namespace fs = std::filesystem;
using kreg::make_generator;
using nlohmann::json;

// Pid and state of every process whose parent is `parent` (zombies included).
std::vector<std::pair<pid_t, char>> children_of(pid_t parent) {
  std::vector<std::pair<pid_t, char>> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto close = stat.rfind(')');  // comm may hold spaces and parens
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back({std::stoi(name), state});
  }
  return out;
}

std::string net_ns(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", ec).string();
}

TEST(NetnsGenerator, DeadModeLeavesNoChildren) {
  auto gen = make_generator("netns", {{"mode", "dead"}}, {});
  EXPECT_EQ(gen->object_name(), "netns");
  int64_t last_tick = 0;
  gen->advance_to(50, [&](int64_t n) { last_tick = n; });
  EXPECT_EQ(gen->created(), 50);
  EXPECT_EQ(last_tick, 0);  // ticks every 64 objects
  EXPECT_TRUE(children_of(getpid()).empty());

  json m = gen->measure();
  EXPECT_EQ(m.at("netns_created"), 50);
  EXPECT_EQ(m.at("netns_live"), 0);
  EXPECT_TRUE(m.at("dentry_nr_dentry").is_number());
  std::ifstream slab("/proc/slabinfo");
  std::string slabinfo((std::istreambuf_iterator<char>(slab)), {});
  if (slabinfo.find("\nnet_namespace ") != std::string::npos) {  // absent when merged into another cache
    EXPECT_TRUE(m.at("slab_net_namespace_active_objs").is_number());
  }
  EXPECT_FALSE(m.contains("sysctl_dentries_est"));

  gen->advance_to(70, [&](int64_t n) { last_tick = n; });  // targets grow
  EXPECT_EQ(gen->created(), 70);
  EXPECT_EQ(last_tick, 64);
  EXPECT_TRUE(children_of(getpid()).empty());
}

TEST(NetnsGenerator, LiveModeHoldsOneNetnsPerChildUntilCleanup) {
  auto gen = make_generator("netns", {{"mode", "live"}}, {});
  gen->advance_to(10, nullptr);
  gen->advance_to(20, nullptr);
  EXPECT_EQ(gen->created(), 20);
  EXPECT_EQ(gen->measure().at("netns_live"), 20);

  auto kids = children_of(getpid());
  ASSERT_EQ(kids.size(), 20u);
  std::string own = net_ns(getpid());
  std::set<std::string> seen;
  for (auto [pid, state] : kids) {
    std::string ns = net_ns(pid);
    ASSERT_FALSE(ns.empty()) << pid;
    EXPECT_NE(ns, own) << pid;
    seen.insert(ns);
  }
  EXPECT_EQ(seen.size(), 20u);  // one netns each

  gen->cleanup();
  EXPECT_EQ(gen->measure().at("netns_live"), 0);
  EXPECT_TRUE(children_of(getpid()).empty());  // killed and reaped: no zombie
  gen->cleanup();                              // idempotent
  EXPECT_TRUE(children_of(getpid()).empty());
}

// PR_SET_PDEATHSIG: held children must not outlive the process holding them.
TEST(NetnsGenerator, LiveChildrenDieWithTheirParent) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    close(fds[0]);
    auto gen = make_generator("netns", {{"mode", "live"}}, {});
    gen->advance_to(3, nullptr);
    for (auto [pid, state] : children_of(getpid())) (void)!write(fds[1], &pid, sizeof pid);
    _exit(0);  // no cleanup(): the kernel must kill them
  }
  close(fds[1]);
  std::vector<pid_t> held;
  for (pid_t pid; read(fds[0], &pid, sizeof pid) == sizeof pid;) held.push_back(pid);
  close(fds[0]);
  waitpid(helper, nullptr, 0);
  ASSERT_EQ(held.size(), 3u);
  for (pid_t pid : held) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto gone = [&] {
      std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
      std::string stat((std::istreambuf_iterator<char>(in)), {});
      return stat.empty() || stat.substr(stat.rfind(')') + 2, 1) == "Z";
    };
    while (!gone() && std::chrono::steady_clock::now() < deadline) usleep(10000);
    EXPECT_TRUE(gone()) << "held child " << pid << " survived its parent";
  }
}

// A real kernel refusal: a user namespace of our own with max_net_namespaces
// 3 makes the 4th unshare fail with ENOSPC, without touching the host limit.
TEST(NetnsGenerator, UnshareRefusalIsAGeneratorError) {
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    if (unshare(CLONE_NEWUSER) != 0) _exit(10);
    std::ofstream("/proc/sys/user/max_net_namespaces") << 3;
    if (std::ifstream("/proc/sys/user/max_net_namespaces").rdbuf()->sgetc() != '3') _exit(11);
    auto gen = make_generator("netns", {{"mode", "live"}}, {});
    try {
      gen->advance_to(10, nullptr);
    } catch (const kreg::GeneratorError& e) {
      bool ok = e.operation() == "unshare" && e.error_number() == ENOSPC && gen->created() == 3 &&
                std::string(e.what()).find("after 3 namespaces") != std::string::npos;
      gen->cleanup();
      _exit(ok && children_of(getpid()).empty() ? 0 : 2);
    }
    _exit(3);
  }
  int status = 0;
  waitpid(helper, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  if (WEXITSTATUS(status) == 10) KREG_SKIP_OR_FAIL_ON_CI("unshare(CLONE_NEWUSER) refused: no user namespaces here");
  if (WEXITSTATUS(status) == 11)
    KREG_SKIP_OR_FAIL_ON_CI("/proc/sys/user/max_net_namespaces cannot be set in a new user namespace here");
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: wrong error or children left; 3: no error";
}

void expect_invalid(const json& params, const std::string& key) {
  try {
    make_generator("netns", params, {});
    ADD_FAILURE() << "accepted " << params.dump();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'" + key + "'"), std::string::npos) << e.what();
  }
}

TEST(NetnsGenerator, RejectsBadParameters) {
  expect_invalid({{"mode", "zombie"}}, "mode");
  expect_invalid({{"sysctls", {"/etc/passwd"}}}, "sysctls");
  expect_invalid({{"sysctls", {"../x"}}}, "sysctls");
  expect_invalid({{"sysctls", {"net/../../etc/passwd"}}}, "sysctls");
  expect_invalid({{"sysctls", "net/core/somaxconn"}}, "sysctls");
  expect_invalid({{"sysctls", {1}}}, "sysctls");
  EXPECT_NO_THROW(make_generator("netns", {{"sysctls", json::array()}}, {}));
}

TEST(NetnsGenerator, StatReadsIncludeTheControl) {
  auto gen = make_generator("netns", {{"sysctls", {"net/ipv6/conf/default/forwarding"}}}, {});
  std::map<std::string, std::string> reads;
  for (const auto& r : gen->stat_reads()) reads[r.metric] = r.path;
  EXPECT_EQ(reads["sysctl_ipv6_disable_ipv6_open"], "/proc/sys/net/ipv6/conf/all/disable_ipv6");
  EXPECT_EQ(reads["sysctl_core_somaxconn_open"], "/proc/sys/net/core/somaxconn");
  EXPECT_EQ(reads["sysctl_ipv4_forwarding_open"], "/proc/sys/net/ipv4/conf/all/forwarding");
  EXPECT_EQ(reads["sysctl_net_ipv6_conf_default_forwarding_open"], "/proc/sys/net/ipv6/conf/default/forwarding");
}

// A larger sweep in each mode (the sizes the old timing print used; speed
// against bench/raw/netns_raw.c is `kreg run speed`'s figure): every namespace
// made, the kernel shows the live ones as distinct namespaces held by distinct
// children, and cleanup leaves no child, no zombie.
TEST(NetnsGenerator, LargerSweepsMakeEveryNamespaceAndCleanUp) {
  auto dead = make_generator("netns", {{"mode", "dead"}}, {});
  dead->advance_to(200, nullptr);
  EXPECT_EQ(dead->created(), 200);
  EXPECT_EQ(dead->measure().at("netns_created"), 200);
  EXPECT_EQ(dead->measure().at("netns_live"), 0);
  EXPECT_TRUE(children_of(getpid()).empty());
  dead->cleanup();

  auto live = make_generator("netns", {{"mode", "live"}}, {});
  live->advance_to(50, nullptr);
  EXPECT_EQ(live->created(), 50);
  EXPECT_EQ(live->measure().at("netns_live"), 50);
  std::set<std::string> held;
  const std::string own = net_ns(getpid());
  for (auto [pid, state] : children_of(getpid())) {
    EXPECT_NE(state, 'Z') << pid;
    if (std::string ns = net_ns(pid); !ns.empty() && ns != own) held.insert(ns);
  }
  EXPECT_EQ(held.size(), 50u) << "distinct namespaces held by the generator's children";
  live->cleanup();
  EXPECT_EQ(live->measure().at("netns_live"), 0);
  EXPECT_TRUE(children_of(getpid()).empty());
}

}  // namespace
