// The floor for the memcg-churn generator: exactly its kernel work per memcg
// with raw syscalls and nothing else.
//   memcg_raw fork|fast N MOUNT PARENT DIR BYTES   ->   {"ops":N,"seconds":S}
// fork: mkdir MOUNT/PARENT/raw-i, fork a child that waits on a pipe, the
//       parent writes the child's pid to cgroup.procs, releases it, the child
//       writes BYTES to DIR/i and exits, the parent reaps it and rmdirs.
// fast: mkdir, write our own pid to its cgroup.procs, write DIR/i, write our
//       pid back to MOUNT/PARENT/raw-home/cgroup.procs, rmdir.
// MOUNT/PARENT must exist. Only the loop is timed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char block[65536];

static int write_file(const char* path, long bytes) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  for (long left = bytes; left > 0;) {
    long n = left < (long)sizeof block ? left : (long)sizeof block;
    if (write(fd, block, (size_t)n) != n) return close(fd), errno;
    left -= n;
  }
  close(fd);
  return 0;
}

static int write_pid(const char* cgroup, pid_t pid) {
  char path[4096], text[32];
  snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int len = snprintf(text, sizeof text, "%d", (int)pid);
  int err = write(fd, text, (size_t)len) == len ? 0 : errno;
  close(fd);
  return err;
}

static void die(const char* what, const char* path) {
  fprintf(stderr, "memcg_raw: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 7 || (strcmp(argv[1], "fork") && strcmp(argv[1], "fast"))) {
    fprintf(stderr, "usage: %s fork|fast N MOUNT PARENT DIR BYTES\n", argv[0]);
    return 2;
  }
  int fast = strcmp(argv[1], "fast") == 0;
  long n = atol(argv[2]), bytes = atol(argv[6]);
  char parent[4096], home[4096], cg[4096], file[4096];
  snprintf(parent, sizeof parent, "%s/%s", argv[3], argv[4]);
  snprintf(home, sizeof home, "%s/raw-home", parent);
  memset(block, 'k', sizeof block);
  if (fast && mkdir(home, 0755) != 0 && errno != EEXIST) die("mkdir", home);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 1; i <= n; ++i) {
    snprintf(cg, sizeof cg, "%s/raw-%ld", parent, i);
    snprintf(file, sizeof file, "%s/raw-%ld", argv[5], i);
    if (mkdir(cg, 0755) != 0) die("mkdir", cg);
    if (fast) {
      if ((errno = write_pid(cg, getpid()))) die("attach to", cg);
      if ((errno = write_file(file, bytes))) die("write", file);
      if ((errno = write_pid(home, getpid()))) die("attach to", home);
    } else {
      int go[2];
      if (pipe2(go, O_CLOEXEC) != 0) die("pipe", "");
      pid_t child = fork();
      if (child < 0) die("fork", "");
      if (child == 0) {
        char token;
        close(go[1]);
        if (read(go[0], &token, 1) != 1) _exit(255);
        _exit(write_file(file, bytes));
      }
      close(go[0]);
      if ((errno = write_pid(cg, child))) die("attach to", cg);
      if (write(go[1], "g", 1) != 1) die("release", "child");
      close(go[1]);
      int status;
      if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)) die("child for", cg);
    }
    while (rmdir(cg) != 0) {
      if (errno != EBUSY) die("rmdir", cg);
      usleep(1000);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (fast) rmdir(home);  // we are still in it: fails quietly, the caller cleans up
  printf("{\"ops\":%ld,\"seconds\":%.9f}\n", n,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
  return 0;
}
