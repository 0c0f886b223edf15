// The fork way's parent process, seen from the memcg-churn generator.
//
// Forking the generator itself once per memcg costs what the generator is:
// fork() copies the page tables of every private page the (static, large)
// agent touched, and every page either side writes afterwards takes a COW
// fault; under TCG that held the fork way at ~0.8 of its raw floor. So the
// generator execs a tiny helper once (kreg-memcg-spawner,
// memcg_spawner_main.cpp) that does, per memcg, what a container runtime
// does: mkdir the memcg, fork a child, move it in from the parent (write its
// pid to cgroup.procs), release it, let it write its page cache and exit,
// reap it, rmdir. The child that writes is the task in the memcg, so the page
// cache is charged to that memcg exactly as before.
//
// One request asks for a whole run of memcgs, not one: a request/reply round
// trip per memcg (two more switches between two address spaces) added
// ~2.7 ms per memcg under TCG to the raw loop's ~7.1 ms (one 6.1 VM, both
// pinned to one vCPU; unpinned the per-memcg protocol ran at 0.73 of raw). Requests and
// replies travel over a SOCK_SEQPACKET socket pair: message boundaries
// without framing, and MSG_NOSIGNAL instead of SIGPIPE when a side is gone.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace kreg {

// What every memcg of a spawner looks like: <cgroup_parent>/<prefix><n> is
// the memcg (a full cgroupfs path), <file_dir>/<n> gets `bytes` of page cache
// and <file_dir>/<n>.d `kobjects` files (memcg_payload).
struct SpawnerSetup {
  std::string cgroup_parent, prefix, file_dir;
  size_t bytes = 0;
  int kobjects = 0;
};

// Which step stopped a run of memcgs (kSpawnDone: none did).
enum SpawnStage : int32_t {
  kSpawnDone = 0,
  kSpawnMkdir,
  kSpawnPipe,
  kSpawnFork,
  kSpawnAttach,   // writing the child's pid to cgroup.procs
  kSpawnChild,    // the child exited non-zero (status): memcg_payload's errno
  kSpawnRmdir,    // err EBUSY: still busy after the retries
  kSpawnRequest,  // a malformed request
};
struct SpawnReply {
  int64_t made = 0;  // memcgs completed (rmdir'd) before the stop
  int32_t stage = kSpawnDone;
  int32_t err = 0;     // errno of the failed step
  int32_t pid = 0;     // the child, once forked
  int32_t status = 0;  // the child's wait status
};

class MemcgSpawner {
 public:
  MemcgSpawner() = default;
  MemcgSpawner(const MemcgSpawner&) = delete;
  MemcgSpawner& operator=(const MemcgSpawner&) = delete;
  ~MemcgSpawner() { stop(); }

  // Execs the spawner at `path` for memcgs shaped by `setup`. It dies with
  // the calling thread (PR_SET_PDEATHSIG) and at EOF on its socket. Throws
  // std::runtime_error naming the path if it cannot start.
  void start(const std::string& path, const SpawnerSetup& setup);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // -1 when none runs

  // Memcgs first .. first+count-1, in order, stopping at the first failure;
  // the reply says how many were made and, if one failed, where and why.
  // Throws GeneratorError("spawner", ...) if the spawner itself is gone.
  SpawnReply churn(int64_t first, int64_t count);

  // Closes the socket (the spawner exits at EOF, after any run it is
  // serving) and reaps it. Only close and waitpid: safe on a SIGINT path.
  void stop() noexcept;

  // In a forked copy of the owner: drops the inherited socket and leaves the
  // spawner alone (it serves, and is reaped by, the original owner).
  void forget() noexcept;

 private:
  std::string path_, cgroups_;  // cgroups_: "<cgroup_parent>/<prefix>", for errors
  pid_t pid_ = -1;
  int sock_ = -1;
};

}  // namespace kreg
