// `kreg kernels list|fetch|show|bench|boot`: the kernel cache (~/.cache/kreg/kernels/
// <sha256>/) as users see it: what is cached, what a spec resolves to, and
// what each kernel can do (static probe of its config, plus the guest
// agent's runtime probe guest_features.json once the kernel has run).
#pragma once

#include <string>
#include <vector>

namespace kreg {

struct KernelsOptions {
  std::string action;                       // list, fetch or show
  std::vector<std::string> specs;           // fetch: kernel specs (obtain_kernel); show: spec, release or sha256 prefix
  std::vector<std::string> patches;         // fetch: patches for the source kernels given (src:, debian-source:)
  std::string config;                       // fetch: their base config ("" = x86_64_defconfig)
  std::string cache_dir;                    // "" = default_cache_dir()
  bool json = false;                        // machine output on stdout
  int boots = 5;                            // boot: boots per kernel
  std::string qemu = "qemu-system-x86_64";  // boot: the QEMU binary
  std::string append;                       // boot: extra guest kernel command line
  std::string entry = "auto";               // boot: auto, pvh (the ELF with the PVH note) or bzimage
  std::string machine = "auto";             // boot: auto, pc or microvm (boot_plan.hpp)
};

// Prints to stdout; returns the exit code. Throws KregError (exit 2) naming
// the input for an unknown action, a spec that matches no cached kernel, or
// one that matches several.
int kernels_command(const KernelsOptions& options);

}  // namespace kreg
