// `kreg kernels bench SPEC`: the kernel-build benchmark of issue 16 for a
// source kernel (default config: x86_64_defconfig + kreg's fragment). Three
// builds in a scratch object tree and scratch cache, figures printed and
// written to <cache>/bench/<stamp>/build-bench.json:
//   cold         nothing built before (empty object tree, empty cache)
//   cached       the same inputs again: must do no work
//   incremental  after a one-file change (a comment appended to
//                init/version.c, as a patch): make rebuilds what depends on it
// The source tree itself comes from the normal cache (downloaded or unpacked
// once, timed separately as "source ready").
#pragma once

#include "harness/cli/kernels_command.hpp"

namespace kreg {

int kernel_build_bench(const KernelsOptions& options, const std::string& cache_dir);

}  // namespace kreg
