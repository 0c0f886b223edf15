// Closing a range of file descriptors in a forked child of a possibly
// multi-threaded process: async-signal-safe, nothing that allocates.
#pragma once

namespace kreg {

// close_range(first, last, 0) with the fallback kernels before 5.9 need
// (ENOSYS): close what /proc/self/fd lists, read with getdents64 into a stack
// buffer, or without /proc every fd below RLIMIT_NOFILE. last = ~0U means
// "and everything above".
void close_fds(unsigned first, unsigned last);

}  // namespace kreg
