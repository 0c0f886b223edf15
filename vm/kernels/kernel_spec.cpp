#include "vm/kernels/kernel_spec.hpp"

#include <filesystem>

#include "vm/common/error.hpp"
#include "vm/source/kernel_tarball.hpp"
#include "vm/source/patch_file.hpp"

namespace fs = std::filesystem;

namespace kreg {

bool KernelSpec::is_source() const { return spec.rfind("src:", 0) == 0 || spec.rfind("debian-source:", 0) == 0; }

std::string KernelSpec::describe() const {
  std::string out = spec.empty() ? "(newest Debian 6.1 cloud)" : spec;
  for (const auto& p : patches) out += " + " + fs::path(p).filename().string();
  if (!config.empty()) out += " (config " + fs::path(config).filename().string() + ")";
  return out;
}

nlohmann::json to_json(const KernelSpec& k) {
  if (k.patches.empty() && k.config.empty() && k.label.empty()) return k.spec;
  nlohmann::json j = {{"spec", k.spec}};
  if (!k.patches.empty()) j["patches"] = k.patches;
  if (!k.config.empty()) j["config"] = k.config;
  if (!k.label.empty()) j["label"] = k.label;
  return j;
}

KernelSpec kernel_spec_from_json(const nlohmann::json& j) {
  if (j.is_string()) return KernelSpec(j.get<std::string>());
  KernelSpec k(j.at("spec").get<std::string>());
  k.patches = j.value("patches", std::vector<std::string>{});
  k.config = j.value("config", "");
  k.label = j.value("label", "");
  return k;
}

void check_kernel_spec(const KernelSpec& k) {
  if (!k.is_source() && (!k.patches.empty() || !k.config.empty()))
    throw KregError("kernel '" + k.spec +
                    "' is a packaged kernel: patches and config apply only to kernels built from source (src:PATH or "
                    "debian-source:<suite>[:<version>])");
  if (k.spec.rfind("debian-source:", 0) == 0) {
    const std::string rest = k.spec.substr(14);
    if (rest.empty() || rest[0] == ':')
      throw KregError("kernel '" + k.spec + "' names no Debian suite (e.g. debian-source:bookworm:6.1)");
  }
  if (k.spec.rfind("src:", 0) == 0) {
    const std::string path = k.spec.substr(4);
    if (path.empty()) throw KregError("kernel 'src:' names no path (src:/path/to/linux or src:linux-4.19.tar.xz)");
    if (!fs::exists(path))
      throw KregError("kernel source " + path +
                      " does not exist (src:PATH takes a kernel source tree or a .tar.xz/.tar.gz of one)");
    if (fs::is_regular_file(path) && !is_kernel_tarball_name(path))
      throw KregError("kernel source " + path +
                      " is a file but not a .tar.xz/.tar.gz/.tar.bz2/.tar tarball (src:PATH takes a tree or a "
                      "tarball; a bzImage, .deb or .rpm goes without src:)");
  }
  for (const auto& p : k.patches) read_patch_file(p);  // exists, readable, holds a diff
  if (!k.config.empty() && !fs::is_regular_file(k.config))
    throw KregError("base config " + k.config + " for kernel " + k.spec + " does not exist");
}

}  // namespace kreg
