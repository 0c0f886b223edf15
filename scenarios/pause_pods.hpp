// Counting pods from the kernel's side: what pause-loop measures, never what it believes.
#pragma once

#include <cstdint>
#include <string>

namespace kreg {

// Pod cgroups directly under `dir` (a directory in the memory hierarchy) that
// hold a live pause process: PID 1 of a child pid namespace, not a zombie.
int64_t count_live_pods(const std::string& dir);

}  // namespace kreg
