// A process named so that PID reuse cannot fool kreg: its PID, its start
// time (clock ticks after boot, field 22 of /proc/PID/stat) and the boot it
// ran in. run.json records its QEMUs this way, so a later kreg can kill what
// a dead one left running without ever killing an unrelated process that
// got the same PID.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace kreg {

struct ProcessIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;  // clock ticks after boot
  std::string boot_id;      // /proc/sys/kernel/random/boot_id
};

// This machine's boot, "" if unreadable.
const std::string& this_boot_id();

// The identity of a live process (not a zombie); nullopt if there is none.
std::optional<ProcessIdentity> identify_process(pid_t pid);

// Is that very process still running on this machine (same boot, same start)?
bool is_running(const ProcessIdentity& process);

// Its command line, NUL separators turned into spaces ("" if gone).
std::string process_cmdline(pid_t pid);

// SIGKILL through a pidfd, then wait (it need not be our child) until it is
// gone or a zombie. False if it still runs after `timeout_s`.
bool kill_and_wait(const ProcessIdentity& process, double timeout_s);

}  // namespace kreg
