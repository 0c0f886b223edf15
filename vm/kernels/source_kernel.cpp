#include "vm/kernels/source_kernel.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "vm/common/error.hpp"
#include "vm/common/file_lock.hpp"
#include "vm/common/sha256.hpp"
#include "vm/source/kernel_tarball.hpp"
#include "vm/source/kernel_tree.hpp"
#include "vm/source/tree_edits.hpp"
#include "vm/source/tree_mirror.hpp"

namespace fs = std::filesystem;

namespace kreg {

std::string tarball_workspace(const std::string& cache_dir, const std::string& sha256) {
  return cache_dir + "/sources/tarball-" + sha256;
}

SourceBuildRequest source_build_request(const KernelSpec& spec, const std::string& cache_dir) {
  SourceBuildRequest r;
  r.patches = spec.patches;
  r.base_config = spec.config;
  r.kernels_dir = cache_dir + "/kernels";
  std::string ws;
  if (spec.spec.rfind("debian-source:", 0) == 0) {
    DebianSource d = fetch_debian_source(spec.spec, cache_dir);
    r.what = spec.spec + " (" + d.package + " " + d.version + ")";
    ws = tarball_workspace(cache_dir, d.tarball_sha256);
    r.source_id = "tarball-sha256:" + d.tarball_sha256;
  } else {
    const std::string path = fs::absolute(spec.spec.substr(4)).lexically_normal().string();
    r.what = spec.spec;
    if (fs::is_regular_file(path)) {
      const std::string sha = sha256_file(path);
      ws = tarball_workspace(cache_dir, sha);
      r.source_id = "tarball-sha256:" + sha;
      if (!fs::exists(ws + "/src/Makefile")) {
        try {
          FileLock lock(ws + "/src.lock");
          std::fprintf(stderr, "kreg: unpacking %s into %s\n", path.c_str(), (ws + "/src").c_str());
          TreeVersion v = unpack_kernel_tarball(path, ws + "/src", spec.spec);
          std::fprintf(stderr, "kreg: %s is Linux %s\n", spec.spec.c_str(), v.text().c_str());
        } catch (const KregError&) {
          // Not a kernel: no empty workspace of it stays in the cache.
          std::error_code ec;
          fs::remove(ws + "/src.lock", ec);
          fs::remove(ws, ec);  // only when empty
          throw;
        }
      }
    } else {
      check_kernel_tree(path, spec.spec);
      ws = cache_dir + "/sources/dir-" + sha256_text(path).substr(0, 16);
      r.source_id = tree_content_hash(path);
      FileLock lock(ws + "/src.lock");
      // Pristine again first, so rsync compares the user's files with unpatched ones.
      TreeEdits(ws + "/src").restore();
      mirror_tree(path, ws + "/src");
    }
  }
  r.tree = ws + "/src";
  r.object_dir = ws + "/obj";
  r.state_dir = ws;
  return r;
}

struct SourceKernel::Impl {
  KernelSpec spec;
  std::string cache_dir;
  std::unique_ptr<KernelSourceBuild> build;
};

SourceKernel::SourceKernel(KernelSpec spec, std::string cache_dir) : impl_(std::make_unique<Impl>()) {
  check_kernel_spec(spec);
  impl_->spec = std::move(spec);
  impl_->cache_dir = std::move(cache_dir);
}

SourceKernel::~SourceKernel() = default;

void SourceKernel::prepare() {
  if (impl_->build) return;
  impl_->build = std::make_unique<KernelSourceBuild>(source_build_request(impl_->spec, impl_->cache_dir));
  impl_->build->prepare();
}

KernelImage SourceKernel::build() {
  prepare();
  KernelImage k = kernel_from_source_build(impl_->build->build(), impl_->spec.label);
  return k;
}

KernelImage obtain_source_kernel(const KernelSpec& spec, const std::string& cache_dir) {
  SourceKernel k(spec, cache_dir);
  k.prepare();
  return k.build();
}

KernelImage kernel_from_source_build(const SourceBuild& b, const std::string& label) {
  KernelImage k;
  const std::string json_path = b.dir + "/kernel.json";
  if (fs::exists(json_path)) {
    k = kernel_from_json(nlohmann::json::parse(std::ifstream(json_path)));
  } else {
    k.vmlinuz = b.vmlinuz;
    k.config_path = b.config_path;
    k.modules_dir = b.modules_dir;
    k.release = b.release;
    k.image_sha256 = b.record.value("image_sha256", "");
    k.config_sha256 = b.record.value("config_sha256", "");
    k.source = b.record.value("source", "");
    k.files = {{"vmlinuz", "built: " + b.record.value("object_dir", "") + "/arch/x86/boot/bzImage"},
               {"config", "built: " + b.record.value("object_dir", "") + "/.config"}};
    k.build = b.record;
    std::ofstream(json_path + ".tmp") << to_json(k).dump(2) << "\n";
    fs::rename(json_path + ".tmp", json_path);
  }
  k.label = label.empty() ? default_source_label(k) : label;
  return k;
}

std::string default_source_label(const KernelImage& k) {
  std::string label = k.release;
  if (k.build.is_object())
    for (const auto& p : k.build.value("patches", nlohmann::json::array()))
      label += "+" + fs::path(p.value("path", "")).stem().string();
  return label;
}

}  // namespace kreg
