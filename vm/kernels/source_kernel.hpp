// Kernels built from source (src:PATH, debian-source:<suite>[:<version>]) as
// KernelImages: where their tree lives in the cache, and the build
// (vm/source/source_build.hpp) turned into kernel.json.
//
// Cache layout (<cache> = ~/.cache/kreg):
//   sources/tarball-<sha256>/  a tarball's tree: src/ (unpacked), obj/ (O=), logs/, inputs/
//   sources/dir-<hash>/        a src:DIR tree: src/ is an rsync mirror of it
//   sources/debian/<deb sha256>.json  debian-source package -> its tarball's sha256
//   kernels/<cache key>/       the built kernel: vmlinuz, config, build.json, kernel.json
#pragma once

#include <memory>
#include <string>

#include "vm/kernels/kernel_fetch.hpp"
#include "vm/kernels/kernel_spec.hpp"
#include "vm/source/source_build.hpp"

namespace kreg {

class SourceKernel {
 public:
  SourceKernel(KernelSpec spec, std::string cache_dir);
  ~SourceKernel();
  // Obtains the tree (download, unpack or mirror), checks the patches and
  // the config: every bad input fails here, before the build.
  void prepare();
  // Builds (or finds the build in the cache) and returns the kernel.
  KernelImage build();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The build request of a source spec with the tree ready: downloaded and
// unpacked (debian-source:, src:TARBALL) or mirrored (src:DIR), with the
// workspace's object tree and the cache's kernels/ as destination. Callers
// may point object_dir, kernels_dir and state_dir elsewhere (kreg kernels bench).
SourceBuildRequest source_build_request(const KernelSpec& spec, const std::string& cache_dir);

// prepare() + build().
KernelImage obtain_source_kernel(const KernelSpec& spec, const std::string& cache_dir);

// A finished source build as a KernelImage, kernel.json written beside it.
// For callers with a tree of their own (kreg bisect's checkout):
//   KernelImage k = kernel_from_source_build(build_kernel_source(request), label);
KernelImage kernel_from_source_build(const SourceBuild& build, const std::string& label);

// A source kernel's name in results when its suite gives none: the release
// and the patches' names, "6.1.192+memcg-numa-stat-tree-walk-6.1".
std::string default_source_label(const KernelImage& k);

// Debian's linux-source-<ver> package of <suite> (newest whose version starts
// with <version>), through the private apt configuration, its tarball's
// tree unpacked into tarball_workspace(<its sha256>)/src.
struct DebianSource {
  std::string tarball_sha256;
  std::string package, version;
};
DebianSource fetch_debian_source(const std::string& spec, const std::string& cache_dir);

// The workspace of a tarball (sources/tarball-<sha256>) and its tree, unpacked
// from `tarball` when it is not there yet.
std::string tarball_workspace(const std::string& cache_dir, const std::string& sha256);

}  // namespace kreg
