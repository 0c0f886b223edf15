// `kreg kernels boot [SPEC...]`: the boot benchmark of issue 16. Boots each
// kernel (default: the default suite's) --boots times, one VM at a time, as
// a unit boots (1 vCPU, 1 GiB, kreg's command line), into an agent with no
// job, and prints where the time to hello goes:
//   before kernel     QEMU start to the kernel's clock (boot_breakdown.hpp), of which
//     firmware        QEMU start to the real-mode setup's first line ("Probing EDD",
//                     printed with earlyprintk=serial; bzImage entry only)
//     setup+decompress  the rest: setup code, decompressor, early kernel
//   kernel init       kernel clock start to /init, of which initramfs unpacking
//   agent             /init to hello (mounts, feature probe)
// Medians over the boots; every boot is written to <cache>/bench/<stamp>-boot/boot-bench.json.
#pragma once

#include <string>

#include "harness/cli/kernels_command.hpp"

namespace kreg {

int kernel_boot_bench(const KernelsOptions& options, const std::string& cache_dir);

}  // namespace kreg
