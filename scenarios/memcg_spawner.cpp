#include "scenarios/memcg_spawner.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "scenarios/generator.hpp"

namespace kreg {

namespace {

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}

}  // namespace

void MemcgSpawner::start(const std::string& path, const SpawnerSetup& setup) {
  stop();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error(std::string("memcg-churn: socketpair for the spawner: ") + std::strerror(errno));
  // posix_spawn, not fork: the point is never to copy this process's page
  // tables. The spawner's end becomes its fd 0 (dup2 clears close-on-exec).
  // Signal dispositions and mask go back to the defaults: what the owner
  // blocks or ignores must not keep Ctrl-C or a kill from ending the spawner.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sv[1], 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string owner = std::to_string(getpid()), bytes = std::to_string(setup.bytes);
  std::string kobjects = std::to_string(setup.kobjects);
  std::string parent = setup.cgroup_parent, prefix = setup.prefix, file_dir = setup.file_dir;
  char* argv[] = {const_cast<char*>(path.c_str()),
                  owner.data(),
                  parent.data(),
                  prefix.data(),
                  file_dir.data(),
                  bytes.data(),
                  kobjects.data(),
                  nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    throw std::runtime_error("memcg-churn: cannot start the fork way's spawner " + path + ": " + std::strerror(rc) +
                             " (build it: cmake --build build)");
  }
  path_ = path;
  cgroups_ = setup.cgroup_parent + "/" + setup.prefix;
  pid_ = pid;
  sock_ = sv[0];
}

SpawnReply MemcgSpawner::churn(int64_t first, int64_t count) {
  const int64_t request[2] = {first, count};
  SpawnReply reply;
  ssize_t n;
  while ((n = send(sock_, request, sizeof request, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof request))
    while ((n = recv(sock_, &reply, sizeof reply, 0)) < 0 && errno == EINTR) {
    }
  if (n == static_cast<ssize_t>(sizeof reply)) return reply;
  // The spawner is gone (killed, crashed) or broke the protocol: say so
  // with its wait status, which is the only evidence left.
  int err = n < 0 ? errno : EPIPE;
  close(sock_);
  sock_ = -1;
  int status = wait_status(pid_);
  pid_ = -1;
  throw GeneratorError("spawner", err,
                       "memcg-churn: the spawner " + path_ + " stopped answering while making " + cgroups_ +
                           std::to_string(first) + " to " + std::to_string(first + count - 1) + " (wait status " +
                           std::to_string(status) + "): " + std::strerror(err));
}

void MemcgSpawner::stop() noexcept {
  int saved = errno;
  if (sock_ >= 0) close(sock_);
  if (pid_ > 0) wait_status(pid_);
  sock_ = pid_ = -1;
  errno = saved;
}

void MemcgSpawner::forget() noexcept {
  if (sock_ >= 0) close(sock_);
  sock_ = pid_ = -1;
}

}  // namespace kreg
