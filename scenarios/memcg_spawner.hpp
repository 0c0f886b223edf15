// The fork way's parent process, seen from the memcg-churn generator.
//
// Forking the generator itself once per memcg costs what the generator is:
// fork() copies the page tables of every private page the (static, large)
// agent touched, and every page either side writes afterwards takes a COW
// fault; under TCG that held the fork way at ~0.8 of its raw floor. So the
// generator execs a tiny helper once (kreg-memcg-spawner,
// memcg_spawner_main.cpp) and asks it, per memcg, to do what a container
// runtime does: fork a child, move it into the cgroup from the parent
// (write its pid to cgroup.procs), release it, let it write its page cache
// and exit, reap it. The child that writes is the task in the memcg, so the
// page cache is charged to that memcg exactly as before.
//
// One request and one reply per memcg travel over a SOCK_SEQPACKET socket
// pair: message boundaries without framing, and MSG_NOSIGNAL instead of a
// SIGPIPE when the other side is gone.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace kreg {

// What the spawner reports for one request; `stage` says which step failed.
enum SpawnStage : int32_t { kSpawnDone = 0, kSpawnPipe, kSpawnFork, kSpawnAttach, kSpawnRequest };
struct SpawnReply {
  int32_t stage = kSpawnDone;
  int32_t err = 0;     // errno of the failed step
  int32_t pid = 0;     // the child, once forked
  int32_t status = 0;  // the child's wait status (kSpawnDone, kSpawnAttach)
};

class MemcgSpawner {
 public:
  MemcgSpawner() = default;
  MemcgSpawner(const MemcgSpawner&) = delete;
  MemcgSpawner& operator=(const MemcgSpawner&) = delete;
  ~MemcgSpawner() { stop(); }

  // Execs the spawner at `path`; every child it forks will run
  // memcg_payload(file, bytes, kdir, kobjects). The spawner dies with the
  // calling thread (PR_SET_PDEATHSIG) and on EOF of its socket. Throws
  // std::runtime_error naming the path if it cannot start.
  void start(const std::string& path, size_t bytes, int kobjects);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // -1 when none runs

  // One memcg: a child moved into the cgroup directory `dir` writes `file`
  // (and `kdir`'s kobjects) and exits. Returns the spawner's report; throws
  // GeneratorError("spawner", ...) naming `dir` if the spawner itself is gone.
  SpawnReply run(const std::string& dir, const std::string& file, const std::string& kdir);

  // Closes the socket (the spawner exits at EOF, after any request it is
  // serving) and reaps it. Only close and waitpid: safe on a SIGINT path.
  void stop() noexcept;

  // In a forked copy of the owner: drops the inherited socket and leaves the
  // spawner alone (it serves, and is reaped by, the original owner).
  void forget() noexcept;

 private:
  std::string path_;
  pid_t pid_ = -1;
  int sock_ = -1;
};

}  // namespace kreg
