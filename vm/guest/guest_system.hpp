// What the guest agent needs from the kernel as PID 1: the basic mounts, a
// console, reaping, and a clean power-off (PID 1 must never exit, or the
// kernel panics).
#pragma once

#include <sys/types.h>
#include <string>

namespace kreg::guest {

// Mounts proc, sysfs, devtmpfs (/dev) and a tmpfs on /tmp, then points
// stdin/stdout/stderr at /dev/console. Failures are printed, not fatal:
// a half-working guest still reports what it can.
void mount_basics();

// Reaps every exited child without blocking (orphans re-parented to PID 1).
void reap_orphans();

// waitpid() for one child, retrying on EINTR; returns the wait status.
int wait_child(pid_t pid);

// sync, then power off. Never returns.
[[noreturn]] void power_off();

std::string kernel_cmdline();

}  // namespace kreg::guest
