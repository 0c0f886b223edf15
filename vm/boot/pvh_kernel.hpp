// The kernel's uncompressed ELF (vmlinux) out of its bzImage, for QEMU's PVH
// entry: QEMU then jumps straight into the kernel, so neither the real-mode
// setup nor the decompressor runs (under TCG decompressing and moving the
// kernel cost about half a second of every boot). Kernels without
// CONFIG_PVH have no PVH entry note: they boot from the bzImage as before.
#pragma once

#include <string>

namespace kreg {

// The vmlinux inside `bzimage`, written once beside it as `<bzimage>.pvh`
// and reused; "" when the kernel has no PVH entry (or the image is not a
// bzImage kreg can unpack, or the cache is not writable), so the caller
// boots the bzImage itself.
std::string pvh_kernel_for(const std::string& bzimage);

// Whether an ELF image carries the Xen PVH entry note
// (XEN_ELFNOTE_PHYS32_ENTRY), the entry QEMU's -kernel uses for an ELF.
bool elf_has_pvh_entry(const std::string& elf_bytes);

// The compressed payload of a bzImage's bytes decompressed (gzip, xz, lzma,
// bzip2, lz4, zstd: whatever libarchive reads); "" if it is not a bzImage.
std::string bzimage_payload(const std::string& bzimage_bytes);

}  // namespace kreg
