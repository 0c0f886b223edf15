/* Floor for the dentry-negative generator: the same per-name work with
 * nothing around it, so the generator's overhead is measurable.
 *
 *   dentry_negative_raw MODE N DIR     MODE: lookup | create-unlink | both
 *
 * Names n0000000000 .. n<N-1>, exactly as the generator builds them; "both"
 * looks up even indexes and creates+unlinks odd ones. DIR is created if
 * missing (one level). Prints {"ops":N,"seconds":S}, timed with
 * CLOCK_MONOTONIC around the loop only. Use a fresh DIR per run: names
 * already negative-cached there make lookups cheaper than the first time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_newfstatat
#define SYS_newfstatat SYS_fstatat64 /* 32-bit ABIs */
#endif

static char pairs[200];

static void write_index(char* digits, unsigned long long index) {
  for (int i = 8; i >= 0; i -= 2) {
    memcpy(digits + i, &pairs[2 * (index % 100)], 2);
    index /= 100;
  }
}

static void die(const char* what, const char* name) {
  fprintf(stderr, "dentry_negative_raw: %s %s: %s\n", what, name, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s lookup|create-unlink|both N DIR\n", argv[0]);
    return 2;
  }
  int mode = strcmp(argv[1], "lookup") == 0          ? 0
             : strcmp(argv[1], "create-unlink") == 0 ? 1
             : strcmp(argv[1], "both") == 0          ? 2
                                                     : -1;
  char* end;
  long long n = strtoll(argv[2], &end, 10);
  if (mode < 0 || *end || n < 0 || n > 9999999999LL) {
    fprintf(stderr, "dentry_negative_raw: bad MODE or N\n");
    return 2;
  }
  for (int i = 0; i < 100; i++) pairs[2 * i] = (char)('0' + i / 10), pairs[2 * i + 1] = (char)('0' + i % 10);

  if (syscall(SYS_mkdirat, AT_FDCWD, argv[3], 0755) != 0 && errno != EEXIST) die("mkdir", argv[3]);
  int dfd = (int)syscall(SYS_openat, AT_FDCWD, argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) die("open", argv[3]);

  char name[] = "n0000000000";
  struct stat st;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long long i = 0; i < n; i++) {
    write_index(name + 1, (unsigned long long)i);
    if (mode == 0 || (mode == 2 && (i & 1) == 0)) {
      if (syscall(SYS_newfstatat, dfd, name, &st, 0) == 0) {
        errno = EEXIST;
        die("stat", name);
      }
      if (errno != ENOENT) die("stat", name);
    } else {
      long fd = syscall(SYS_openat, dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) die("open", name);
      syscall(SYS_close, fd);
      if (syscall(SYS_unlinkat, dfd, name, 0) != 0) die("unlink", name);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"ops\":%lld,\"seconds\":%.9f}\n", n, s);
  return 0;
}
