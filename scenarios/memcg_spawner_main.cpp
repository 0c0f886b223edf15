// kreg-memcg-spawner: the parent that forks memcg-churn's fork-way tasks
// (why it exists and the protocol: memcg_spawner.hpp).
//   kreg-memcg-spawner BYTES KOBJECTS OWNER_PID   (fd 0: a SOCK_SEQPACKET socket)
// Per request "dir\0file\0kdir\0" it does exactly what bench/raw/memcg_raw.c's
// fork loop does between mkdir and rmdir: fork a child that waits on a pipe,
// write the child's pid to dir/cgroup.procs, release it, the child runs
// memcg_payload and exits, reap it; then it replies with a SpawnReply.
// Static and small on purpose: its fork copies almost no page tables.
// Plain C calls only, so the static binary pulls in no C++ runtime to speak of.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "scenarios/memcg_payload.hpp"
#include "scenarios/memcg_spawner.hpp"

namespace {

size_t g_bytes = 0;
int g_kobjects = 0;

int write_pid(const char* dir, pid_t pid) {
  char path[4200], text[32];
  std::snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int len = std::snprintf(text, sizeof text, "%d", static_cast<int>(pid));
  int err = write(fd, text, static_cast<size_t>(len)) == len ? 0 : errno;
  close(fd);
  return err;
}

kreg::SpawnReply serve(const char* dir, const char* file, const char* kdir) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return {kreg::kSpawnPipe, errno, 0, 0};
  pid_t child = fork();
  if (child < 0) {
    int err = errno;
    close(go[0]);
    close(go[1]);
    return {kreg::kSpawnFork, err, 0, 0};
  }
  if (child == 0) {
    // Wait until the parent has moved us: every page we charge from here on
    // is charged to the memcg in `dir`.
    close(go[1]);
    char token;
    if (read(go[0], &token, 1) != 1) _exit(255);
    _exit(kreg::memcg_payload(file, g_bytes, kdir, g_kobjects));
  }
  close(go[0]);
  int err = write_pid(dir, child);
  if (err == 0) (void)!write(go[1], "g", 1);
  close(go[1]);  // after a failed move the child sees EOF and exits without writing
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) {
      status = -1;
      break;
    }
  return {err != 0 ? kreg::kSpawnAttach : kreg::kSpawnDone, err, child, status};
}

// "dir\0file\0kdir\0" -> the three strings; false if one is unterminated.
bool split_request(const char* p, const char* end, const char* parts[3]) {
  for (int i = 0; i < 3; ++i) {
    const char* nul = static_cast<const char*>(std::memchr(p, 0, static_cast<size_t>(end - p)));
    if (nul == nullptr) return false;
    parts[i] = p;
    p = nul + 1;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s BYTES KOBJECTS OWNER_PID (started by memcg-churn's fork way)\n", argv[0]);
    return 2;
  }
  g_bytes = std::strtoull(argv[1], nullptr, 10);
  g_kobjects = std::atoi(argv[2]);
  // Die with the generator even when it cannot close our socket (SIGKILL);
  // it may have died before the prctl, hence the parent check.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != std::atoi(argv[3])) return 1;
  kreg::memcg_payload_prepare();  // once here, so children only read the block
  static char request[3 * 4200];
  for (;;) {
    // MSG_TRUNC: the datagram's real length, so an oversized one is seen.
    ssize_t n = recv(0, request, sizeof request, MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? 0 : 1;  // EOF: the generator is done
    kreg::SpawnReply reply = {kreg::kSpawnRequest, EINVAL, 0, 0};
    const char* parts[3];
    if (static_cast<size_t>(n) <= sizeof request && split_request(request, request + n, parts))
      reply = serve(parts[0], parts[1], parts[2]);
    if (send(0, &reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply) return 1;
  }
}
