// The syscall floor: run the guest agent, and everything it starts, as if the
// kernel were Linux 3.10. A classic-BPF seccomp filter answers ENOSYS to every
// x86_64 syscall that 3.10 does not have, which is exactly what a 3.10 kernel
// answers, so a job that succeeds under it proves every newer syscall on its
// path (agent, kreg-statbench, their C/C++ runtime and dynamic loader,
// busybox) has a working fallback. Asked for on the kernel command line with
// kreg.syscall_floor=3.10.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

namespace kreg::guest {

struct NewerSyscall {
  int nr;
  const char* name;
};

// The only floor there is: Linux 3.10, whose x86_64 table ends at 313
// (finit_module). 314 (sched_setattr, 3.14) is the first newer syscall.
constexpr const char* kSyscallFloor = "3.10";
constexpr int kFirstSyscallAfterFloor = 314;

// Every x86_64 syscall 3.10 lacks, by number, from 314 to the newest named in
// arch/x86/entry/syscalls/syscall_64.tbl. The filter denies more than this
// list: every number from 314 up (unassigned and future ones too) and every
// x32 number.
std::span<const NewerSyscall> syscalls_newer_than_floor();

// What the filter answers for x86_64 syscall number `nr` (as seccomp sees it,
// a u32, x32 bit included): true = ENOSYS, false = the kernel runs it.
bool floor_denies(uint32_t nr);

// PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP / SECCOMP_MODE_FILTER (both prctl,
// both older than 3.10; not the seccomp() syscall, which is 317). The filter
// is inherited across fork, clone and execve and cannot be removed. Throws
// std::runtime_error with the errno if the kernel refuses.
void install_syscall_floor();

// Checks that the floor holds in this process: /proc/self/status says
// "Seccomp: 2" and getrandom and statx fail with ENOSYS. Returns the report
// {"floor", "first_denied_nr", "verified", "denied": [names], "probes", ...}.
nlohmann::json verify_syscall_floor();

// Called first thing in the agent's main(). With kreg.syscall_floor=3.10 on
// /proc/cmdline (read here, so /proc must be mounted: the kernel does not
// pass dotted parameters to init's environment), installs the filter and
// re-executes the agent, so that its own C/C++ runtime start-up runs under
// the floor too. In the re-executed agent (known by its environment),
// verifies the floor and keeps the report for syscall_floor_report().
void enter_syscall_floor(char** argv);

// True in the agent re-executed under the floor (its mounts are already done).
bool syscall_floor_reexecuted();

// The report of enter_syscall_floor(); null when no floor was asked for.
const nlohmann::json& syscall_floor_report();

}  // namespace kreg::guest
