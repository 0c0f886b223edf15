// kreg-memcg-spawner, the fork way's parent, driven through MemcgSpawner on
// the host without cgroups: a plain directory with a regular cgroup.procs file
// stands in for the memcg, so the test sees which pid the spawner "moved" and
// what the child wrote. The real cgroup move is covered by the VM tests.
#include "scenarios/memcg_spawner.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "scenarios/generator.hpp"
#include "tests/unit/vm_host_test_util.hpp"

namespace kreg::test {
namespace {

const std::string kSpawner = KREG_MEMCG_SPAWNER;

// `pid` is no child of ours any more, not even a zombie: it was reaped.
bool reaped(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

TEST(MemcgSpawner, ChildIsMovedThenWritesThePayload) {
  TempDir tmp;
  write_file(tmp / "cg/cgroup.procs", "");
  MemcgSpawner spawner;
  spawner.start(kSpawner, 70000, 3);  // more than one 64 KiB block
  const pid_t pid = spawner.pid();
  SpawnReply r = spawner.run((tmp / "cg").string(), (tmp / "data").string(), (tmp / "data.d").string());
  EXPECT_EQ(r.stage, kSpawnDone);
  ASSERT_TRUE(WIFEXITED(r.status)) << r.status;
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  EXPECT_GT(r.pid, 0);
  EXPECT_NE(r.pid, spawner.pid());
  EXPECT_EQ(read_file(tmp / "cg/cgroup.procs"), std::to_string(r.pid));  // the child's pid, from the parent
  EXPECT_EQ(read_file(tmp / "data"), std::string(70000, 'k'));
  for (const char* name : {"0", "1", "2"}) EXPECT_TRUE(fs::exists(tmp / "data.d" / name)) << name;
  EXPECT_FALSE(fs::exists(tmp / "data.d/3"));
  spawner.stop();
  EXPECT_FALSE(spawner.running());
  EXPECT_TRUE(reaped(pid));
}

TEST(MemcgSpawner, FailedMoveReportsErrnoAndTheChildNeverWrites) {
  TempDir tmp;
  MemcgSpawner spawner;
  spawner.start(kSpawner, 4096, 0);
  SpawnReply r = spawner.run((tmp / "no-such-cgroup").string(), (tmp / "data").string(), (tmp / "data.d").string());
  EXPECT_EQ(r.stage, kSpawnAttach);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_GT(r.pid, 0);
  EXPECT_FALSE(fs::exists(tmp / "data"));
  // The spawner serves the next request as usual.
  write_file(tmp / "cg/cgroup.procs", "");
  r = spawner.run((tmp / "cg").string(), (tmp / "data").string(), (tmp / "data.d").string());
  EXPECT_EQ(r.stage, kSpawnDone);
  EXPECT_EQ(fs::file_size(tmp / "data"), 4096u);
}

TEST(MemcgSpawner, PayloadErrorComesBackAsTheChildsExitStatus) {
  TempDir tmp;
  write_file(tmp / "cg/cgroup.procs", "");
  MemcgSpawner spawner;
  spawner.start(kSpawner, 4096, 0);
  SpawnReply r = spawner.run((tmp / "cg").string(), (tmp / "missing/data").string(), (tmp / "data.d").string());
  EXPECT_EQ(r.stage, kSpawnDone);
  ASSERT_TRUE(WIFEXITED(r.status));
  EXPECT_EQ(WEXITSTATUS(r.status), ENOENT);
}

TEST(MemcgSpawner, DeadSpawnerIsAGeneratorErrorNamingTheCgroup) {
  TempDir tmp;
  write_file(tmp / "cg/cgroup.procs", "");
  MemcgSpawner spawner;
  spawner.start(kSpawner, 4096, 0);
  const pid_t pid = spawner.pid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  try {
    spawner.run((tmp / "cg").string(), (tmp / "data").string(), (tmp / "data.d").string());
    FAIL() << "no error from a killed spawner";
  } catch (const GeneratorError& e) {
    EXPECT_EQ(e.operation(), "spawner");
    EXPECT_NE(std::string(e.what()).find((tmp / "cg").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("wait status 9"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(spawner.running());
  EXPECT_TRUE(reaped(pid));
}

TEST(MemcgSpawner, MissingBinaryIsAClearError) {
  MemcgSpawner spawner;
  try {
    spawner.start("/nonexistent/kreg-memcg-spawner", 4096, 0);
    FAIL() << "started a missing binary";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kreg-memcg-spawner"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(spawner.running());
}

// The owner dies without closing anything (SIGKILL): PR_SET_PDEATHSIG must
// take the spawner with it, or it would wait on its socket forever.
TEST(MemcgSpawner, DiesWithItsOwner) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    MemcgSpawner spawner;
    spawner.start(kSpawner, 4096, 0);
    pid_t pid = spawner.pid();
    (void)!write(fds[1], &pid, sizeof pid);
    pause();
    _exit(0);
  }
  close(fds[1]);
  pid_t spawned = -1;
  ASSERT_EQ(read(fds[0], &spawned, sizeof spawned), static_cast<ssize_t>(sizeof spawned));
  close(fds[0]);
  ASSERT_GT(spawned, 0);
  EXPECT_EQ(kill(spawned, 0), 0);  // alive while its owner is
  kill(owner, SIGKILL);
  waitpid(owner, nullptr, 0);
  // Gone, or a zombie waiting for whoever inherited it.
  auto dead = [&] {
    std::ifstream stat("/proc/" + std::to_string(spawned) + "/stat");
    std::string pid, comm, state;
    return !(stat >> pid >> comm >> state) || state == "Z";
  };
  for (int i = 0; i < 200 && !dead(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(dead());
}

}  // namespace
}  // namespace kreg::test
