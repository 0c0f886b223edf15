// The kernels in kreg's cache as `kreg kernels list|show` see them: every
// <cache>/kernels/<sha256>/kernel.json, and what a user may name one by.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vm/kernels/kernel_features.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

struct CachedKernel {
  std::string key;  // the cache directory's name (the package's sha256), "" for a bare bzImage
  std::string dir;
  nlohmann::json record;  // kernel.json as stored
  KernelImage image;
  std::optional<KernelVersion> version;
  std::vector<KernelFeature> features;
  nlohmann::json guest_features;  // <dir>/guest_features.json, null until a VM run wrote it
};

// Every <cache>/kernels/<sha256>/kernel.json, oldest kernel version first.
std::vector<CachedKernel> cached_kernels(const std::string& cache_dir);

// `show`'s argument: a cached kernel's release, package, source spec or
// sha256 prefix; else a kernel file (extracted into the cache like --kernel).
CachedKernel resolve_cached_kernel(const std::string& spec, const std::string& cache_dir);

// A kernel just obtained (fetched, extracted or built), described as the cache holds it.
CachedKernel describe_obtained(const KernelImage& image, const std::string& cache_dir);

}  // namespace kreg
