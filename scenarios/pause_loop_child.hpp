// The two processes of a pause-loop pod, as they run after fork: the
// "sandbox" (the runtime's child that unshares the namespaces and stays the
// pause process's parent, like a shim) and the pause process (PID 1 of the
// new pid namespace). Header-only so that the generator stays one .cpp; used
// only by scenarios/pause_loop_generator.cpp.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace kreg::pause_loop {

// What a child was doing when it failed; the generator names it in errors.
enum Step : int32_t { kReady, kPausePid, kUnshare, kPrivate, kPipe, kFork, kPrctl, kMountProc, kSysctlOpen, kSysctlIo,
                      kHostname, kPageCache, kNoReport };
inline const char* const kStepNames[] = {"ready", "pause pid", "unshare", "make mounts private", "pipe", "fork",
                                         "prctl", "mount proc", "open sysctl", "read/write sysctl", "sethostname",
                                         "write page cache", "no report from the pod"};

// One fixed-size record per write(): far below PIPE_BUF, so the records of the
// sandbox and the pause process never interleave on their shared pipe.
struct Report {
  int32_t step, err, index, pid;
};

// All a child needs, built before fork: after fork the children make only
// async-signal-safe calls (the generator may be multi-threaded), no allocation.
struct ChildPlan {
  std::vector<std::string> paths;   // "/proc/sys/..."
  std::vector<const char*> values;  // nullptr: open + read, as runc's Go runtime reads somaxconn
  std::string hostname, page_cache_path;
  size_t page_cache_bytes = 0;
};

inline void send(int fd, int32_t step, int32_t err, int32_t index = 0, int32_t pid = 0) {
  Report r{step, err, index, pid};
  (void)!write(fd, &r, sizeof r);
}
[[noreturn]] inline void die(int fd, int32_t step, size_t index = 0) {
  send(fd, step, errno, static_cast<int32_t>(index));
  _exit(1);
}

[[noreturn]] inline void pause_main(const ChildPlan& plan, int report, int life) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(report, kPrctl);
  // getppid() is 0 for a pid namespace's init, so learn whether the sandbox
  // died before PDEATHSIG was armed from its end of `life` instead.
  pollfd alive{life, POLLIN, 0};
  if (poll(&alive, 1, 0) != 0) _exit(1);
  close(life);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) die(report, kMountProc);
  char buf[512];
  for (size_t i = 0; i < plan.paths.size(); ++i) {
    const char* value = plan.values[i];
    int fd = open(plan.paths[i].c_str(), (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) die(report, kSysctlOpen, i);
    if ((value ? write(fd, value, strlen(value)) : read(fd, buf, sizeof buf)) < 0) die(report, kSysctlIo, i);
    close(fd);
  }
  if (sethostname(plan.hostname.data(), plan.hostname.size()) != 0) die(report, kHostname);
  if (plan.page_cache_bytes > 0) {
    int fd = open(plan.page_cache_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die(report, kPageCache);
    memset(buf, 'k', sizeof buf);
    for (size_t left = plan.page_cache_bytes; left > 0;) {
      ssize_t n = write(fd, buf, left < sizeof buf ? left : sizeof buf);
      if (n <= 0) die(report, kPageCache);
      left -= static_cast<size_t>(n);
    }
    close(fd);
  }
  send(report, kReady, 0);
  close(report);
  for (;;) pause();
}

[[noreturn]] inline void sandbox_main(const ChildPlan& plan, int go, int report, pid_t generator) {
  // PDEATHSIG follows the forking *thread* of the generator: fine for a sweep.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != generator) _exit(1);
  char token;
  if (read(go, &token, 1) != 1) _exit(1);  // no byte: the generator could not attach us
  close(go);
  if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0) die(report, kUnshare);
  // Keeps the pod's proc mount out of the host's mount namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die(report, kPrivate);
  int life[2];
  if (pipe2(life, O_CLOEXEC) != 0) die(report, kPipe);
  pid_t pause_pid = _Fork();  // unlike fork(), async-signal-safe (no atfork handlers)
  if (pause_pid < 0) die(report, kFork);
  if (pause_pid == 0) {
    close(life[1]);
    pause_main(plan, report, life[0]);
  }
  close(life[0]);
  send(report, kPausePid, 0, 0, pause_pid);
  close(report);
  // Stay its parent, as a shim does: the pause process is reaped here and our
  // exit tells the generator it is gone, so the generator never signals a
  // reaped (reusable) pid.
  int status;
  while (waitpid(pause_pid, &status, 0) < 0 && errno == EINTR) {
  }
  _exit(0);
}

}  // namespace kreg::pause_loop
