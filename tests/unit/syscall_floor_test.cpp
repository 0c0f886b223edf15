// The 3.10 syscall floor: its table of newer syscalls, and the seccomp filter
// itself, installed in a forked child on the host kernel.
#include "vm/guest/syscall_floor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "tests/ci_skip.hpp"

namespace kreg::guest {
namespace {

int nr_of(const std::string& name) {
  for (const NewerSyscall& s : syscalls_newer_than_floor())
    if (name == s.name) return s.nr;
  return -1;
}

TEST(SyscallFloor, TableStartsRightAfter310AndIsOrdered) {
  auto table = syscalls_newer_than_floor();
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(table.front().nr, 314);
  EXPECT_STREQ(table.front().name, "sched_setattr");
  EXPECT_GE(table.back().nr, 471);  // rseq_slice_yield, the newest known here
  std::set<std::string> names;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_TRUE(names.insert(table[i].name).second) << table[i].name << " listed twice";
    EXPECT_TRUE(floor_denies(static_cast<uint32_t>(table[i].nr))) << table[i].name;
    if (i > 0) {
      EXPECT_LT(table[i - 1].nr, table[i].nr) << table[i].name;
    }
  }
  // 314-336, then 424 up: 337-423 were never assigned on x86_64.
  EXPECT_EQ(nr_of("uprobe"), 336);
  EXPECT_EQ(nr_of("pidfd_send_signal"), 424);
  for (const NewerSyscall& s : table) EXPECT_FALSE(s.nr > 336 && s.nr < 424) << s.name;
}

TEST(SyscallFloor, KnownNumbersMatchTheKernelTable) {
  EXPECT_EQ(nr_of("getrandom"), 318);
  EXPECT_EQ(nr_of("statx"), 332);
  EXPECT_EQ(nr_of("rseq"), 334);
  EXPECT_EQ(nr_of("clone3"), 435);
  EXPECT_EQ(nr_of("close_range"), 436);
  EXPECT_EQ(nr_of("faccessat2"), 439);
  // The headers this was built with agree wherever they know the name.
  EXPECT_EQ(nr_of("getrandom"), SYS_getrandom);
  EXPECT_EQ(nr_of("statx"), SYS_statx);
#ifdef SYS_clone3
  EXPECT_EQ(nr_of("clone3"), SYS_clone3);
#endif
  EXPECT_EQ(nr_of("finit_module"), -1);  // 313: 3.10 has it
}

TEST(SyscallFloor, DeniesFrom314UpAndEveryX32Number) {
  EXPECT_FALSE(floor_denies(0));                 // read
  EXPECT_FALSE(floor_denies(56));                // clone
  EXPECT_FALSE(floor_denies(257));               // openat
  EXPECT_FALSE(floor_denies(313));               // finit_module, the last of 3.10
  EXPECT_TRUE(floor_denies(314));                // sched_setattr, 3.14
  EXPECT_TRUE(floor_denies(334));                // rseq
  EXPECT_TRUE(floor_denies(400));                // unassigned
  EXPECT_TRUE(floor_denies(1000));               // future
  EXPECT_TRUE(floor_denies(0x40000000u | 0));    // x32 read
  EXPECT_TRUE(floor_denies(0x40000000u | 512));  // x32 rt_sigaction
  EXPECT_TRUE(floor_denies(0xffffffffu));        // syscall(-1)
}

// The kernel says whether it has seccomp filters (5.9+ lists Seccomp_filters
// in /proc/self/status; older ones: a mode-2 filter was possible if Seccomp is
// there and PR_GET_SECCOMP works).
bool host_has_seccomp_filters() {
  std::ifstream status("/proc/self/status");
  bool seccomp = false;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Seccomp_filters:", 0) == 0) return true;
    seccomp |= line.rfind("Seccomp:", 0) == 0;
  }
  return seccomp && prctl(PR_GET_SECCOMP) >= 0;
}

// Child exit codes of the filter test.
enum : int { kOk = 0, kInstallFailed = 10, kNotDenied, kControlChanged, kExecFailed, kOldSyscallBroken };

TEST(SyscallFloor, FilterOnTheHostKernelAnswersEnosysOnlyAboveTheFloor) {
  // finit_module(-1) outside the filter: EBADF, EPERM or (no modules) ENOSYS;
  // under it, 313 must answer exactly the same.
  errno = 0;
  syscall(SYS_finit_module, -1, "", 0);
  const int finit_errno = errno;
  int why[2];  // the child's install error, word for word
  ASSERT_EQ(pipe(why), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(why[0]);
    try {
      install_syscall_floor();
    } catch (const std::exception& e) {
      (void)!write(why[1], e.what(), std::strlen(e.what()));
      _exit(kInstallFailed);
    } catch (...) {
      _exit(kInstallFailed);
    }
    close(why[1]);
    char buf[8];
    struct statx stx {};
    if (syscall(SYS_getrandom, buf, sizeof buf, 0) != -1 || errno != ENOSYS) _exit(kNotDenied);
    if (syscall(SYS_statx, AT_FDCWD, "/", 0, STATX_BASIC_STATS, &stx) != -1 || errno != ENOSYS) _exit(kNotDenied);
    if (syscall(314, 0, nullptr, 0) != -1 || errno != ENOSYS) _exit(kNotDenied);
    if (syscall(0x40000000 | SYS_getpid) != -1 || errno != ENOSYS) _exit(kNotDenied);
    errno = 0;
    syscall(SYS_finit_module, -1, "", 0);
    if (errno != finit_errno) _exit(kControlChanged);
    struct stat st {};
    if (syscall(SYS_getpid) <= 0 || fstatat(AT_FDCWD, "/", &st, 0) != 0) _exit(kOldSyscallBroken);
    if (!verify_syscall_floor().value("verified", false)) _exit(kNotDenied);
    // A dynamic program's loader and C runtime start under the filter.
    execl("/bin/true", "true", static_cast<char*>(nullptr));
    _exit(kExecFailed);
  }
  close(why[1]);
  std::string install_error;
  char buf[512];
  for (ssize_t n; (n = read(why[0], buf, sizeof buf)) > 0;) install_error.append(buf, static_cast<size_t>(n));
  close(why[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  if (WEXITSTATUS(status) == kInstallFailed) {
    // Only a kernel without seccomp filters may excuse this (prctl answers
    // EINVAL; /proc/self/status then has no Seccomp_filters line): any other
    // error is a bug in the filter or its installation.
    if (!host_has_seccomp_filters() && install_error.find("SECCOMP_MODE_FILTER") != std::string::npos)
      KREG_SKIP_OR_FAIL_ON_CI("this host kernel has no seccomp filters (CONFIG_SECCOMP_FILTER): " << install_error);
    FAIL() << "install_syscall_floor() failed on a host kernel with seccomp filters: " << install_error;
  }
  EXPECT_EQ(WEXITSTATUS(status), kOk);
}

}  // namespace
}  // namespace kreg::guest
