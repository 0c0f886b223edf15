// kreg-memcg-spawner: memcg-churn's fork way, run from a process small enough
// that its fork per memcg copies almost no page tables (why, and the
// protocol: memcg_spawner.hpp).
//   kreg-memcg-spawner OWNER_PID CGROUP_PARENT PREFIX FILE_DIR BYTES KOBJECTS
//   (fd 0: a SOCK_SEQPACKET socket to the generator)
// Per request {first, count} it makes memcgs first .. first+count-1 exactly as
// bench/raw/memcg_raw.c's fork loop does (mkdir, fork a child that waits on a
// pipe, write the child's pid to cgroup.procs, release it, the child runs
// memcg_payload and exits, reap it, rmdir), stops at the first failure and
// replies with a SpawnReply.
// Plain C calls only, so the static binary pulls in no C++ runtime to speak of.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "scenarios/memcg_payload.hpp"
#include "scenarios/memcg_spawner.hpp"

namespace {

const char *g_parent, *g_prefix, *g_file_dir;
size_t g_bytes = 0;
int g_kobjects = 0;

int write_pid(const char* cgroup, pid_t pid) {
  char path[4300], text[32];  // room for "/cgroup.procs" after a 4200-byte cgroup path
  std::snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int len = std::snprintf(text, sizeof text, "%d", static_cast<int>(pid));
  int err = write(fd, text, static_cast<size_t>(len)) == len ? 0 : errno;
  close(fd);
  return err;
}

// A memcg whose last task is still exiting answers EBUSY for a moment:
// retried as scenarios/cgroup_lib's delete_cgroup does (about a second).
int remove_cgroup(const char* cgroup) {
  for (int attempt = 0, delay_us = 1000; rmdir(cgroup) != 0; ++attempt, delay_us *= 2) {
    if (errno != EBUSY || attempt == 11) return errno;
    usleep(static_cast<useconds_t>(std::min(delay_us, 200000)));
  }
  return 0;
}

// One memcg, n: {stage, err, pid, status}; stage kSpawnDone when all went well.
kreg::SpawnReply make_one(long long n) {
  char cgroup[4200], file[4200], kdir[4200];
  std::snprintf(cgroup, sizeof cgroup, "%s/%s%lld", g_parent, g_prefix, n);
  std::snprintf(file, sizeof file, "%s/%lld", g_file_dir, n);
  std::snprintf(kdir, sizeof kdir, "%s/%lld.d", g_file_dir, n);
  if (mkdir(cgroup, 0755) != 0) return {0, kreg::kSpawnMkdir, errno, 0, 0};
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return {0, kreg::kSpawnPipe, errno, 0, 0};
  pid_t child = fork();
  if (child < 0) {
    int err = errno;
    close(go[0]);
    close(go[1]);
    return {0, kreg::kSpawnFork, err, 0, 0};
  }
  if (child == 0) {
    // Wait until the parent has moved us: every page we charge from here on
    // is charged to the memcg.
    close(go[1]);
    char token;
    if (read(go[0], &token, 1) != 1) _exit(255);
    _exit(kreg::memcg_payload(file, g_bytes, kdir, g_kobjects));
  }
  close(go[0]);
  int err = write_pid(cgroup, child);
  if (err == 0) (void)!write(go[1], "g", 1);
  close(go[1]);  // after a failed move the child sees EOF and exits without writing
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) {
      status = -1;
      break;
    }
  if (err != 0) return {0, kreg::kSpawnAttach, err, child, status};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {0, kreg::kSpawnChild, 0, child, status};
  if ((err = remove_cgroup(cgroup)) != 0) return {0, kreg::kSpawnRmdir, err, child, status};
  return {0, kreg::kSpawnDone, 0, child, status};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: %s OWNER_PID CGROUP_PARENT PREFIX FILE_DIR BYTES KOBJECTS (started by memcg-churn's fork "
                 "way)\n",
                 argv[0]);
    return 2;
  }
  // Die with the generator even when it cannot close our socket (SIGKILL);
  // it may have died before the prctl, hence the parent check.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != std::atoi(argv[1])) return 1;
  g_parent = argv[2];
  g_prefix = argv[3];
  g_file_dir = argv[4];
  g_bytes = std::strtoull(argv[5], nullptr, 10);
  g_kobjects = std::atoi(argv[6]);
  kreg::memcg_payload_prepare();  // once here, so children only read the block
  for (;;) {
    int64_t request[2];
    ssize_t n = recv(0, request, sizeof request, MSG_TRUNC);  // MSG_TRUNC: an oversized one shows
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? 0 : 1;  // EOF: the generator is done
    kreg::SpawnReply reply = {0, kreg::kSpawnRequest, EINVAL, 0, 0};
    if (n == sizeof request && request[1] >= 0) {
      reply = {};
      for (int64_t i = 0; i < request[1] && reply.stage == kreg::kSpawnDone; ++i) {
        kreg::SpawnReply one = make_one(static_cast<long long>(request[0] + i));
        reply.stage = one.stage;
        reply.err = one.err;
        reply.pid = one.pid;
        reply.status = one.status;
        if (one.stage == kreg::kSpawnDone) ++reply.made;
      }
    }
    if (send(0, &reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply) return 1;
  }
}
