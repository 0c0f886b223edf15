// Host side of guest module loading: pick the .ko files (and everything they
// depend on) out of an extracted lib/modules/<release> tree so the initramfs
// can carry them. Debian's .deb kernels ship no modules.dep (depmod runs at
// install time), so dependencies come from each module's ELF ".modinfo".
#pragma once

#include <string>
#include <vector>

namespace kreg {

struct KernelModule {
  std::string name;                  // canonical module name ('-' folded to '_')
  std::string host_path;             // file in modules_dir, maybe .ko.xz/.zst/.gz
  std::string guest_path;            // "lib/modules/<name>.ko", flat, uncompressed
  std::vector<std::string> depends;  // canonical names from .modinfo "depends="
  bool compressed = false;
};

// Load order for `wanted` and their dependencies: each module comes after all
// of its depends, no duplicates. Modules listed in modules.builtin are built
// into the kernel and are silently skipped. Throws KregError naming the module
// and modules_dir when a module is neither a file in the tree nor builtin.
std::vector<KernelModule> module_closure(const std::string& modules_dir, const std::vector<std::string>& wanted);

// The uncompressed .ko contents (the guest kernel may lack the decompressor,
// and the agent certainly does). Throws KregError on read/decompress failure.
std::string module_bytes(const KernelModule& m);

// The NUL-separated "key=value" strings of an ELF64 module's ".modinfo"
// section, parsed from memory. Throws KregError if `elf` is not a usable
// ELF64 image; returns {} when it has no .modinfo. Exposed for tests.
std::vector<std::string> modinfo_entries(const std::string& elf, const std::string& what);

// Kernel's view of module names: '-' and '_' are the same character.
std::string canonical_module_name(const std::string& name);

}  // namespace kreg
