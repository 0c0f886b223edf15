#include "vm/guest/syscall_floor.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace kreg::guest {

namespace {

// arch/x86/entry/syscalls/syscall_64.tbl, "common" and "64" entries after 313
// finit_module, the last syscall of 3.10. 337-423 were never assigned (kept
// free to line up with other architectures); the filter denies them anyway.
constexpr NewerSyscall kNewer[] = {
    {314, "sched_setattr"},
    {315, "sched_getattr"},
    {316, "renameat2"},
    {317, "seccomp"},
    {318, "getrandom"},
    {319, "memfd_create"},
    {320, "kexec_file_load"},
    {321, "bpf"},
    {322, "execveat"},
    {323, "userfaultfd"},
    {324, "membarrier"},
    {325, "mlock2"},
    {326, "copy_file_range"},
    {327, "preadv2"},
    {328, "pwritev2"},
    {329, "pkey_mprotect"},
    {330, "pkey_alloc"},
    {331, "pkey_free"},
    {332, "statx"},
    {333, "io_pgetevents"},
    {334, "rseq"},
    {335, "uretprobe"},
    {336, "uprobe"},
    {424, "pidfd_send_signal"},
    {425, "io_uring_setup"},
    {426, "io_uring_enter"},
    {427, "io_uring_register"},
    {428, "open_tree"},
    {429, "move_mount"},
    {430, "fsopen"},
    {431, "fsconfig"},
    {432, "fsmount"},
    {433, "fspick"},
    {434, "pidfd_open"},
    {435, "clone3"},
    {436, "close_range"},
    {437, "openat2"},
    {438, "pidfd_getfd"},
    {439, "faccessat2"},
    {440, "process_madvise"},
    {441, "epoll_pwait2"},
    {442, "mount_setattr"},
    {443, "quotactl_fd"},
    {444, "landlock_create_ruleset"},
    {445, "landlock_add_rule"},
    {446, "landlock_restrict_self"},
    {447, "memfd_secret"},
    {448, "process_mrelease"},
    {449, "futex_waitv"},
    {450, "set_mempolicy_home_node"},
    {451, "cachestat"},
    {452, "fchmodat2"},
    {453, "map_shadow_stack"},
    {454, "futex_wake"},
    {455, "futex_wait"},
    {456, "futex_requeue"},
    {457, "statmount"},
    {458, "listmount"},
    {459, "lsm_get_self_attr"},
    {460, "lsm_set_self_attr"},
    {461, "lsm_list_modules"},
    {462, "mseal"},
    {463, "setxattrat"},
    {464, "getxattrat"},
    {465, "listxattrat"},
    {466, "removexattrat"},
    {467, "open_tree_attr"},
    {468, "file_getattr"},
    {469, "file_setattr"},
    {470, "listns"},
    {471, "rseq_slice_yield"},
};

// x32 syscalls are x86_64 syscalls with this bit set (include/uapi/asm/unistd.h).
constexpr uint32_t kX32SyscallBit = 0x40000000;

// Set in the environment of the agent re-executed under the floor.
constexpr const char* kReexecMarker = "KREG_SYSCALL_FLOOR";

nlohmann::json g_report;  // null: no floor asked for

// The value of `key=` on the kernel command line, "" when absent.
std::string cmdline_value(const std::string& key) {
  std::ifstream in("/proc/cmdline");
  std::string word;
  while (in >> word)
    if (word.compare(0, key.size() + 1, key + "=") == 0) return word.substr(key.size() + 1);
  return "";
}

// "ok" if a probe succeeded, else its errno's name.
std::string outcome(long rc, int err) {
  if (rc >= 0) return "ok";
  const char* name = strerrorname_np(err);
  return name ? name : std::to_string(err);
}

// The "Seccomp:" field of /proc/self/status (since 3.8): 0 off, 1 strict, 2 filter.
int seccomp_mode() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Seccomp:", 0) == 0) return std::atoi(line.c_str() + 8);
  return -1;
}

nlohmann::json base_report() {
  nlohmann::json denied = nlohmann::json::array();
  for (const NewerSyscall& s : kNewer) denied.push_back(s.name);
  return {{"floor", kSyscallFloor},
          {"first_denied_nr", kFirstSyscallAfterFloor},
          {"denied_rule", "every x86_64 nr >= 314 and every x32 nr: ENOSYS; other arch: kill"},
          {"verified", false},
          {"denied", denied}};
}

}  // namespace

std::span<const NewerSyscall> syscalls_newer_than_floor() { return kNewer; }

bool floor_denies(uint32_t nr) { return (nr & kX32SyscallBit) != 0 || nr >= kFirstSyscallAfterFloor; }

void install_syscall_floor() {
  // Must stay in step with floor_denies().
  sock_filter program[] = {
      // Another syscall ABI (i386 through int 0x80) would read numbers from
      // another table: kill rather than let it through unfiltered.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL),  // 3.10 has no RET_KILL_PROCESS
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kFirstSyscallAfterFloor, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
  };
  sock_fprog fprog{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  // Without no_new_privs only CAP_SYS_ADMIN may install a filter; PID 1 has
  // it, but a later setuid exec must not escape the floor either.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + std::strerror(errno));
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
    throw std::runtime_error(std::string("prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER): ") + std::strerror(errno) +
                             " (kernel without CONFIG_SECCOMP_FILTER?)");
}

nlohmann::json verify_syscall_floor() {
  nlohmann::json report = base_report();
  char buf[16];
  errno = 0;
  long rc = syscall(SYS_getrandom, buf, sizeof buf, 0x1 /* GRND_NONBLOCK */);
  std::string getrandom = outcome(rc, errno);
  struct statx stx {};
  errno = 0;
  rc = syscall(SYS_statx, AT_FDCWD, "/", 0, STATX_BASIC_STATS, &stx);
  std::string statx = outcome(rc, errno);
  int mode = seccomp_mode();
  report["probes"] = {{"getrandom", getrandom}, {"statx", statx}, {"seccomp_mode", mode}};
  report["verified"] = mode == 2 && getrandom == "ENOSYS" && statx == "ENOSYS";
  return report;
}

void enter_syscall_floor(char** argv) {
  if (syscall_floor_reexecuted()) {
    g_report = verify_syscall_floor();
    g_report["whole_agent"] = true;  // its runtime start-up (before main) ran under the floor too
    return;
  }
  std::string asked = cmdline_value("kreg.syscall_floor");
  if (asked.empty()) return;
  g_report = base_report();
  if (asked != kSyscallFloor) {
    g_report["error"] = "unknown syscall floor '" + asked + "' (known: " + kSyscallFloor + ")";
    return;
  }
  try {
    install_syscall_floor();
  } catch (const std::exception& e) {
    g_report["error"] = e.what();
    return;
  }
  setenv(kReexecMarker, kSyscallFloor, 1);
  execv("/proc/self/exe", argv);
  // Still here: the floor holds for everything the agent starts, only its
  // own start-up ran without it.
  int err = errno;
  g_report = verify_syscall_floor();
  g_report["whole_agent"] = false;
  g_report["reexec_error"] = std::string("execv(/proc/self/exe): ") + std::strerror(err);
}

bool syscall_floor_reexecuted() {
  const char* v = std::getenv(kReexecMarker);
  return v != nullptr && *v != '\0';
}

const nlohmann::json& syscall_floor_report() { return g_report; }

}  // namespace kreg::guest
