// The floor for the netns generator: the same kernel work per namespace
// (pipe, fork, unshare(CLONE_NEWNET), open+read+close of the two sysctls,
// report, exit or stay) with raw syscalls and nothing else.
//   netns_raw dead|live N   ->   {"ops":N,"seconds":S}
// live: children hold their netns until all N exist; the kill and reap
// after the loop are not timed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* const paths[] = {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/core/somaxconn"};

static void child(int wfd, int live, pid_t parent) {
  int err = 0;
  if (live && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)) _exit(1);
  if (unshare(CLONE_NEWNET) != 0) err = errno;
  char buf[64];
  for (size_t i = 0; !err && i < sizeof paths / sizeof *paths; ++i) {
    int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof buf) < 0) err = errno;
    if (fd >= 0) close(fd);
  }
  if (write(wfd, &err, sizeof err) != sizeof err || err || !live) _exit(err != 0);
  close(wfd);
  for (;;) pause();
}

int main(int argc, char** argv) {
  if (argc != 3 || (strcmp(argv[1], "dead") && strcmp(argv[1], "live")) || atol(argv[2]) <= 0) {
    fprintf(stderr, "usage: %s dead|live N\n", argv[0]);
    return 2;
  }
  int live = strcmp(argv[1], "live") == 0;
  long n = atol(argv[2]), made = 0;
  pid_t* held = live ? calloc((size_t)n, sizeof *held) : NULL;
  pid_t self = getpid();
  int err = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (; made < n; ++made) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      err = errno;
      break;
    }
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      close(fds[0]);
      close(fds[1]);
      break;
    }
    if (pid == 0) {
      close(fds[0]);
      child(fds[1], live, self);
    }
    close(fds[1]);
    if (read(fds[0], &err, sizeof err) != sizeof err && !err) err = ECHILD;
    close(fds[0]);
    if (live && !err)
      held[made] = pid;
    else
      waitpid(pid, NULL, 0);
    if (err) break;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (long i = 0; live && i < made; ++i) kill(held[i], SIGKILL);
  for (long i = 0; live && i < made; ++i) waitpid(held[i], NULL, 0);
  if (err) {
    fprintf(stderr, "netns_raw: failed after %ld namespaces: %s\n", made, strerror(err));
    return 1;
  }
  printf("{\"ops\":%ld,\"seconds\":%.6f}\n", made, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
