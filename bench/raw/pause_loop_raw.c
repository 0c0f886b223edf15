// Raw floor for the pause-loop generator: the same pod life cycle with bare
// syscalls and nothing else (no libcgroup, no C++, no error reports beyond an
// exit code), fail-fast: each pod is torn down as soon as it is ready. What
// the generator costs above this is its own.
//
// Usage: pause_loop_raw N MEMCG_MOUNT PIDS_MOUNT PARENT_NAME
// Prints one JSON line: {"ops":N,"seconds":S}
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// The generator's defaults: the seed's two lookups, containerd's two writes.
static const char* const kReads[] = {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/core/somaxconn"};
static const char* const kWrites[][2] = {{"/proc/sys/net/ipv4/ip_unprivileged_port_start", "0"},
                                         {"/proc/sys/net/ipv4/ping_group_range", "0 2147483647"}};

static void die(const char* what, const char* path) {
  fprintf(stderr, "pause_loop_raw: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

// snprintf that refuses to truncate a path.
static void path(char* out, size_t size, const char* dir, const char* name) {
  if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size) {
    errno = ENAMETOOLONG;
    die("path", dir);
  }
}

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) die("write", path);
  close(fd);
}

// PID 1 of the new pid namespace. Reports 0 on `report` when ready.
static void pause_main(int report) {
  char buf[64];
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) _exit(10);
  for (size_t i = 0; i < sizeof kReads / sizeof kReads[0]; ++i) {
    int fd = open(kReads[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof buf) < 0) _exit(11);
    close(fd);
  }
  for (size_t i = 0; i < sizeof kWrites / sizeof kWrites[0]; ++i) {
    int fd = open(kWrites[i][0], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, kWrites[i][1], strlen(kWrites[i][1])) < 0) _exit(12);
    close(fd);
  }
  if (sethostname("pod", 3) != 0) _exit(13);
  int32_t ready = 0;
  if (write(report, &ready, sizeof ready) != sizeof ready) _exit(14);
  close(report);
  for (;;) pause();
}

// Waits to be moved into the pod cgroup, unshares, forks the pause process,
// reports its pid (> 0) and stays its parent until it dies.
static void sandbox_main(int go, int report) {
  char token;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (read(go, &token, 1) != 1) _exit(2);
  if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0) _exit(3);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) _exit(4);
  pid_t pause_pid = fork();
  if (pause_pid < 0) _exit(5);
  if (pause_pid == 0) pause_main(report);
  int32_t pid = pause_pid;
  if (write(report, &pid, sizeof pid) != sizeof pid) _exit(6);
  close(report);
  while (waitpid(pause_pid, NULL, 0) < 0 && errno == EINTR) {
  }
  _exit(0);
}

// rmdir, retrying EBUSY (a reaped task can hold its cgroup for a moment) for ~1 s.
static void remove_dir(const char* path) {
  for (useconds_t backoff = 1000, waited = 0;; waited += backoff, backoff = backoff < 128000 ? backoff * 2 : backoff) {
    if (rmdir(path) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || waited > 1000000) die("rmdir", path);
    usleep(backoff);
  }
}

int main(int argc, char** argv) {
  if (argc != 5 || atoi(argv[1]) < 0) {
    fprintf(stderr, "usage: %s N MEMCG_MOUNT PIDS_MOUNT PARENT_NAME\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[1]);
  const char* mounts[2] = {argv[2], argv[3]};
  char parent[2][4096], pod[2][4096], procs[4096], name[32];
  int made_parent[2];
  for (int h = 0; h < 2; ++h)  // before any mkdir: a bad second mount must not leave the first parent behind
    if (access(mounts[h], W_OK) != 0) die("cgroup mount", mounts[h]);
  for (int h = 0; h < 2; ++h) {
    path(parent[h], sizeof parent[h], mounts[h], argv[4]);
    made_parent[h] = mkdir(parent[h], 0755) == 0;
    if (!made_parent[h] && errno != EEXIST) die("mkdir", parent[h]);
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < n; ++i) {
    for (int h = 0; h < 2; ++h) {
      snprintf(name, sizeof name, "pod-%d", i);
      path(pod[h], sizeof pod[h], parent[h], name);
      if (mkdir(pod[h], 0755) != 0) die("mkdir", pod[h]);
    }
    int go[2], report[2];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) die("pipe", "");
    pid_t sandbox = fork();
    if (sandbox < 0) die("fork", "");
    if (sandbox == 0) {
      close(go[1]);
      close(report[0]);
      sandbox_main(go[0], report[1]);
    }
    close(go[0]);
    close(report[1]);
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "%d", (int)sandbox);
    for (int h = 0; h < 2; ++h) {
      path(procs, sizeof procs, pod[h], "cgroup.procs");
      write_file(procs, pid_text);
    }
    if (write(go[1], "g", 1) != 1) die("write", "go pipe");
    close(go[1]);
    // Two records, in either order: the pause pid (from the sandbox) and 0 (ready).
    int32_t msg, pause_pid = 0, ready = 0;
    while ((!ready || !pause_pid) && read(report[0], &msg, sizeof msg) == sizeof msg) {
      if (msg == 0)
        ready = 1;
      else
        pause_pid = msg;
    }
    close(report[0]);
    if (pause_pid > 0) kill(pause_pid, SIGKILL);
    int status = 0;
    waitpid(sandbox, &status, 0);
    if (!ready) {
      fprintf(stderr, "pause_loop_raw: pod %d failed (sandbox status %d)\n", i, status);
      return 1;
    }
    for (int h = 0; h < 2; ++h) remove_dir(pod[h]);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  for (int h = 0; h < 2; ++h)
    if (made_parent[h]) remove_dir(parent[h]);
  printf("{\"ops\":%d,\"seconds\":%.6f}\n", n, (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
