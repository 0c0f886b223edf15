// kreg-memcg-spawner, the fork way's parent, driven through MemcgSpawner on
// the host without cgroups: in a plain directory its mkdir works but there is
// no cgroup.procs to move the child with, which is how the failure paths are
// reached. The whole memcg life cycle runs in the VM tests and under
// `kreg scenario memcg-churn --local` (tests/local).
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

SpawnerSetup setup_in(const TempDir& tmp) {
  fs::create_directories(tmp / "files");
  return {(tmp / "parent").string(), "m-", (tmp / "files").string(), 4096, 2};
}

TEST(MemcgSpawner, FailedMoveStopsTheRunAndTheChildNeverWrites) {
  TempDir tmp;
  fs::create_directories(tmp / "parent");
  MemcgSpawner spawner;
  spawner.start(kSpawner, setup_in(tmp));
  const pid_t pid = spawner.pid();
  SpawnReply r = spawner.churn(7, 3);
  EXPECT_EQ(r.made, 0);
  EXPECT_EQ(r.stage, kSpawnAttach);
  EXPECT_EQ(r.err, ENOENT);  // no cgroup.procs: a plain directory
  EXPECT_GT(r.pid, 0);
  EXPECT_NE(r.pid, pid);
  EXPECT_TRUE(fs::is_directory(tmp / "parent/m-7"));  // named <parent>/<prefix><n>
  EXPECT_FALSE(fs::exists(tmp / "parent/m-8"));       // stopped at the first failure
  EXPECT_FALSE(fs::exists(tmp / "files/7"));          // released only after a move
  EXPECT_FALSE(fs::exists(tmp / "files/7.d"));
  // It serves the next request as usual.
  r = spawner.churn(9, 1);
  EXPECT_EQ(r.stage, kSpawnAttach);
  EXPECT_TRUE(fs::is_directory(tmp / "parent/m-9"));
  spawner.stop();
  EXPECT_FALSE(spawner.running());
  EXPECT_TRUE(reaped(pid));
}

TEST(MemcgSpawner, MkdirErrorComesBackWithItsErrno) {
  TempDir tmp;  // no parent directory
  MemcgSpawner spawner;
  spawner.start(kSpawner, setup_in(tmp));
  SpawnReply r = spawner.churn(1, 5);
  EXPECT_EQ(r.made, 0);
  EXPECT_EQ(r.stage, kSpawnMkdir);
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_EQ(r.pid, 0);  // nothing forked
}

TEST(MemcgSpawner, EmptyRunMakesNothing) {
  TempDir tmp;
  MemcgSpawner spawner;
  spawner.start(kSpawner, setup_in(tmp));
  SpawnReply r = spawner.churn(1, 0);
  EXPECT_EQ(r.made, 0);
  EXPECT_EQ(r.stage, kSpawnDone);
}

TEST(MemcgSpawner, DeadSpawnerIsAGeneratorErrorNamingTheCgroups) {
  TempDir tmp;
  MemcgSpawner spawner;
  spawner.start(kSpawner, setup_in(tmp));
  const pid_t pid = spawner.pid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  try {
    spawner.churn(3, 2);
    FAIL() << "no error from a killed spawner";
  } catch (const GeneratorError& e) {
    EXPECT_EQ(e.operation(), "spawner");
    std::string what = e.what();
    EXPECT_NE(what.find((tmp / "parent/m-").string() + "3 to 4"), std::string::npos) << what;
    EXPECT_NE(what.find("wait status 9"), std::string::npos) << what;
  }
  EXPECT_FALSE(spawner.running());
  EXPECT_TRUE(reaped(pid));
}

TEST(MemcgSpawner, MissingBinaryIsAClearError) {
  TempDir tmp;
  MemcgSpawner spawner;
  try {
    spawner.start("/nonexistent/kreg-memcg-spawner", setup_in(tmp));
    FAIL() << "started a missing binary";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kreg-memcg-spawner"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(spawner.running());
}

// The owner dies without closing anything (SIGKILL): PR_SET_PDEATHSIG must
// take the spawner with it, or it would wait on its socket forever.
TEST(MemcgSpawner, DiesWithItsOwner) {
  TempDir tmp;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    MemcgSpawner spawner;
    spawner.start(kSpawner, setup_in(tmp));
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
