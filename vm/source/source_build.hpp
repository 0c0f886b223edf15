// Building a kernel from a source tree: the entry point for every kernel
// kreg builds (src:PATH, debian-source:, and kreg bisect's commits).
//
//   SourceBuildRequest r{.what = "src:/path", .tree = ..., .source_id = ...,
//                        .patches = {...}, .base_config = "", .object_dir = ...,
//                        .kernels_dir = cache + "/kernels", .state_dir = ...};
//   KernelSourceBuild b(r);
//   b.prepare();                 // bad input fails here, before anything slow
//   SourceBuild k = b.build();   // no work when the same inputs were built before
//
// prepare(): the tree is a kernel; the patches apply (to the pristine tree,
// in order); base config + kreg's fragment (vm/source/kreg.config) merged with
// merge_config.sh semantics and `make olddefconfig` keep every required
// option (a dropped one is an error naming it, one this version lacks is a
// recorded warning); the toolchain fixes the tree needs are chosen.
// build(): `make bzImage` (and modules if the config has any) out of tree
// in object_dir, -j host CPUs, a progress line on a terminal; a failure that
// a known toolchain fix cures is fixed and the build resumed; the result is
// installed in <kernels_dir>/<cache key>/ (vmlinuz, config, build.log,
// build.json, modules/). The cache key is SHA-256 over the source identity,
// the patches, the final .config and the compiler and linker versions.
//
// One object_dir serves every build of one tree: a later build with another
// patch set or config is incremental (make rebuilds what changed), and is
// reported as such. The tree must be kreg's own (a tarball it unpacked, a
// mirror, bisect's checkout): patches and fixes are applied in place and
// undone by the next build or restore_source_tree(). <tree>.lock (beside the
// tree) serialises everything that edits or builds one tree.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kreg {

struct SourceBuildRequest {
  std::string what;                  // the kernel as the user named it (messages and records)
  std::string tree;                  // kernel source tree kreg may edit
  std::string source_id;             // its content identity: "tarball-sha256:...", "tree-sha256:...", "git:<commit>"
  std::vector<std::string> patches;  // applied in order with patch -p1
  std::string base_config;           // a .config to start from; "" = x86_64_defconfig
  std::string object_dir;            // O=; kept between builds
  std::string kernels_dir;           // finished kernels: <kernels_dir>/<cache key>/
  std::string state_dir;             // bookkeeping of this build: logs, input index, learned fixes
  int jobs = 0;                      // make -j; 0 = host CPUs
};

struct SourceBuild {
  std::string dir;          // <kernels_dir>/<key>
  std::string vmlinuz;      // dir/vmlinuz (the bzImage)
  std::string config_path;  // dir/config
  std::string modules_dir;  // dir/modules/lib/modules/<release>, "" without modules
  std::string release;      // `make kernelrelease`, e.g. 6.1.192
  std::string key;          // the cache key
  nlohmann::json record;    // build.json: source, patches, config, toolchain, fixes, timing
  bool cached = false;      // true: nothing was built
};

class KernelSourceBuild {
 public:
  explicit KernelSourceBuild(SourceBuildRequest request);
  ~KernelSourceBuild();
  KernelSourceBuild(const KernelSourceBuild&) = delete;
  KernelSourceBuild& operator=(const KernelSourceBuild&) = delete;

  void prepare();
  bool cached() const;  // after prepare(): the result is in the cache already
  SourceBuild build();  // prepare()s first if needed

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// prepare() + build().
SourceBuild build_kernel_source(const SourceBuildRequest& request);

// Undoes kreg's patches and fixes in a tree (e.g. before `git checkout`).
void restore_source_tree(const std::string& tree);

// The SourceBuild of a finished cache directory (its build.json).
SourceBuild read_source_build(const std::string& dir);

}  // namespace kreg
