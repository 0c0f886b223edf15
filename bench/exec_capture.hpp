// fork+execve a program with its stdout captured (stderr stays the
// caller's: the console in the guest). Works in the static PID-1 agent,
// where kreg's host process helpers are not linked.
#pragma once

#include <string>
#include <vector>

namespace kreg {

// Runs argv[0] (an absolute path) with `env` ("K=V" strings) and returns its
// stdout. Throws std::runtime_error naming the program if it cannot run or
// exits non-zero.
std::string exec_capture(const std::vector<std::string>& argv, const std::vector<std::string>& env);

// The environment every guest-side helper gets: the shared-library closure
// sits in the multiarch directories and the initramfs has no ld.so.cache, so
// say where they are. On the host (--local) this only repeats the defaults.
std::vector<std::string> helper_environment();

}  // namespace kreg
