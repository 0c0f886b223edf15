// What a kernel can do, read statically from its config file and its version
// before anything boots: which cgroup and tracing interfaces the jobs may
// count on. The guest agent's runtime probe (guest_features.json beside
// kernel.json) is the authority once the kernel has run; this is the
// expectation.
#pragma once

#include <compare>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

struct KernelFeature {
  std::string name;     // e.g. "memcg_v1"
  std::string summary;  // what it means for kreg, e.g. "cgroup v1 memory controller"
  bool available = false;
  std::string source;    // "config" or "version"
  std::string evidence;  // e.g. "CONFIG_MEMCG_V1 is not set"
};

// CONFIG_NAME -> "y", "m", "n" ("# CONFIG_NAME is not set") or the raw value.
using KernelConfig = std::map<std::string, std::string>;
KernelConfig parse_kernel_config(const std::string& text);

struct KernelVersion {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const KernelVersion&) const = default;
  std::string text() const;  // "6.1.192"
};

// The mainline version: from the config's header ("# Linux/x86 6.1.192
// Kernel Configuration"), else the release's leading digits
// ("6.1.0-56-cloud-amd64" -> 6.1.0). nullopt when neither has one.
std::optional<KernelVersion> kernel_version(const std::string& config_text, const std::string& release);

// Every feature kreg probes, in a fixed order. `config_text` may be "" (a
// bare bzImage): config features are then unavailable with that as evidence.
std::vector<KernelFeature> probe_features(const std::string& config_text, const std::string& release);

// probe_features on the kernel's config file (k.config_path, if any).
std::vector<KernelFeature> probe_kernel_features(const KernelImage& k);

// {"memcg_v1": {"available": false, "source": "config", "evidence": "..."}, ...}
nlohmann::json features_json(const std::vector<KernelFeature>& features);

// The feature named `name`; throws std::out_of_range if there is none.
const KernelFeature& feature(const std::vector<KernelFeature>& features, const std::string& name);

}  // namespace kreg
