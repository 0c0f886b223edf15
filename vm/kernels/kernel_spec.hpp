// A kernel under test as a suite or the command line names it: the spec
// string, plus (for kernels built from source) patches, a base config and
// a label for the results.
//
//   debian:<suite>[:<version>]         Debian's cloud kernel package (apt)
//   debian-source:<suite>[:<version>]  Debian's linux-source-<ver>, built
//   src:PATH                           a source tree or tarball, built
//   PATH                               a bzImage, .deb or .rpm
//   ""                                 the newest Debian 6.1 cloud kernel
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kreg {

struct KernelSpec {
  std::string spec;
  std::vector<std::string> patches;  // source kernels: absolute paths, applied in order
  std::string config;                // source kernels: base config (absolute path), "" = x86_64_defconfig
  std::string label;                 // name in results (jobs/<label>/); "" = chosen from the kernel
  KernelSpec() = default;
  KernelSpec(std::string s) : spec(std::move(s)) {}  // NOLINT: a plain spec string is a KernelSpec
  KernelSpec(const char* s) : spec(s) {}             // NOLINT
  bool is_source() const;                            // src: or debian-source:
  std::string describe() const;                      // "debian-source:bookworm:6.1 + walk.patch", for messages
  bool operator==(const KernelSpec&) const = default;
};

// A string when only `spec` is set (what run.json always held), else an
// object {spec, patches, config, label}.
nlohmann::json to_json(const KernelSpec& k);
KernelSpec kernel_spec_from_json(const nlohmann::json& j);

// Checks that cost nothing, for every kernel before anything slow: the spec
// names a known kind; a source path, every patch and the base config exist
// and are readable; patches and config are given only to source kernels.
// Throws KregError naming what is wrong and the fix.
void check_kernel_spec(const KernelSpec& k);

}  // namespace kreg
