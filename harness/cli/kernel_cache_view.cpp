#include "harness/cli/kernel_cache_view.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "vm/common/error.hpp"
#include "vm/common/text_file.hpp"
#include "vm/kernels/source_kernel.hpp"

namespace kreg {

namespace fs = std::filesystem;

namespace {

CachedKernel describe(const KernelImage& image, const std::string& dir, nlohmann::json record) {
  CachedKernel c;
  c.dir = dir;
  c.key = dir.empty() ? "" : fs::path(dir).filename().string();
  c.record = std::move(record);
  c.image = image;
  c.version = kernel_version(image.config_path.empty() ? "" : read_file_or_empty(image.config_path), image.release);
  c.features = probe_kernel_features(image);
  if (!dir.empty() && fs::exists(dir + "/guest_features.json")) {
    try {
      c.guest_features = nlohmann::json::parse(read_file_or_empty(dir + "/guest_features.json"));
    } catch (const nlohmann::json::exception& e) {
      c.guest_features = "unreadable: " + std::string(e.what());
    }
  }
  return c;
}

}  // namespace

std::vector<CachedKernel> cached_kernels(const std::string& cache_dir) {
  std::vector<CachedKernel> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache_dir + "/kernels", ec)) {
    const std::string json_path = entry.path() / "kernel.json";
    if (!fs::exists(json_path)) continue;  // an extraction that never finished
    try {
      nlohmann::json record = nlohmann::json::parse(read_file_or_empty(json_path));
      out.push_back(describe(kernel_from_json(record), entry.path(), record));
    } catch (const nlohmann::json::exception& e) {
      std::fprintf(stderr, "kreg: skipping %s: %s\n", json_path.c_str(), e.what());
    }
  }
  std::sort(out.begin(), out.end(), [](const CachedKernel& a, const CachedKernel& b) {
    return std::tie(a.version, a.image.release, a.key) < std::tie(b.version, b.image.release, b.key);
  });
  return out;
}

namespace {

// The cache directory a kernel was extracted into, "" for a bare bzImage
// (kernel_from_path leaves those where they are).
std::string cache_dir_of(const KernelImage& k, const std::string& cache_dir) {
  std::error_code ec;
  fs::path dir = fs::path(k.vmlinuz).parent_path();
  if (fs::exists(dir / "kernel.json") && fs::equivalent(dir.parent_path(), fs::path(cache_dir) / "kernels", ec))
    return dir;
  return "";
}

bool is_hex_prefix(const std::string& s) {
  return s.size() >= 4 && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

bool matches(const CachedKernel& c, const std::string& spec) {
  const KernelImage& k = c.image;
  if (spec == k.release || spec == k.package || spec == k.source || k.source.rfind(spec + " ", 0) == 0) return true;
  if (k.build.is_object() && spec == default_source_label(k)) return true;
  std::string lower = spec;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return is_hex_prefix(lower) && (c.key.rfind(lower, 0) == 0 || k.image_sha256.rfind(lower, 0) == 0);
}

}  // namespace

CachedKernel resolve_cached_kernel(const std::string& spec, const std::string& cache_dir) {
  std::vector<CachedKernel> found;
  for (auto& c : cached_kernels(cache_dir))
    if (matches(c, spec)) found.push_back(std::move(c));
  // A source spec names its unpatched build; patched ones go by label or key.
  if (found.size() > 1 && KernelSpec(spec).is_source()) {
    std::vector<CachedKernel> plain;
    for (auto& c : found)
      if (c.image.build.is_object() && c.image.build.value("patches", nlohmann::json::array()).empty())
        plain.push_back(c);
    if (plain.size() == 1) return plain[0];
  }
  if (found.size() == 1) return found[0];
  if (found.size() > 1) {
    std::string which;
    for (const auto& c : found)
      which += (which.empty() ? "" : ", ") +
               (c.image.build.is_object() ? default_source_label(c.image) : c.image.release) + " (" +
               c.key.substr(0, 12) + ")";
    throw KregError("'" + spec + "' matches " + std::to_string(found.size()) + " cached kernels: " + which +
                    "; give the release or a sha256 prefix");
  }
  if (spec.rfind("debian:", 0) == 0 || KernelSpec(spec).is_source())
    throw KregError("kernel '" + spec + "' is not in the cache " + cache_dir +
                    "/kernels (fetch it: kreg kernels fetch " + spec + ")");
  if (!spec.empty() && fs::is_regular_file(spec)) {
    KernelImage k = kernel_from_path(spec, cache_dir);
    return describe(k, cache_dir_of(k, cache_dir), to_json(k));
  }
  throw KregError("no cached kernel matches '" + spec + "' in " + cache_dir +
                  "/kernels (give a release, package, source spec or sha256 prefix from 'kreg kernels list', or a "
                  "kernel file)");
}

CachedKernel describe_obtained(const KernelImage& image, const std::string& cache_dir) {
  return describe(image, cache_dir_of(image, cache_dir), to_json(image));
}

}  // namespace kreg
