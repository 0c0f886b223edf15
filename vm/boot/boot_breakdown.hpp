// One VM's boot split into phases, from the host's QEMU-start-to-hello time
// and the guest's own stamps (vm/guest/boot_timing.hpp, all on the guest
// kernel's clock, which starts after decompression):
//   before_kernel_s   QEMU start, firmware, loading kernel and initramfs,
//                     decompression: everything before the kernel's clock ran
//   kernel_init_s     kernel clock start to /init (initramfs unpack included)
//   initramfs_s       of which unpacking the initramfs (when the kernel logs it)
//   agent_s           /init's start to its hello (mounts, feature probe)
// A phase the guest did not report is left out. Under TCG these are
// timings of an emulated CPU: comparable only with other TCG timings.
#pragma once

#include <nlohmann/json.hpp>

namespace kreg {

nlohmann::json boot_breakdown(double boot_to_hello_s, const nlohmann::json& guest_boot);

}  // namespace kreg
