// Shared-library closure of a dynamically linked ELF binary: its ELF
// interpreter plus every DT_NEEDED library, recursively, resolved the way the
// host's loader would (DT_RUNPATH/RPATH, then the multiarch and default dirs).
// Debian ships Google Benchmark as a shared library only, so the guest's
// benchmark binary travels with this closure inside the initramfs.
#pragma once

#include <string>
#include <vector>

namespace kreg {

struct ElfDependency {
  std::string soname;      // e.g. "libbenchmark.so.1" (for the interpreter: its path)
  std::string host_path;   // resolved file on the host (symlinks resolved to the real file)
  std::string guest_path;  // where the loader will look for it in the guest, e.g. "lib/x86_64-linux-gnu/libc.so.6" or
                           // "lib64/ld-linux-x86-64.so.2"
};

// Returns the closure without duplicates, interpreter first. Empty for a static
// binary. Throws KregError naming the binary and the missing library if a
// DT_NEEDED entry cannot be resolved, or if the file is not a 64-bit ELF.
std::vector<ElfDependency> elf_shared_closure(const std::string& binary_path);

}  // namespace kreg
