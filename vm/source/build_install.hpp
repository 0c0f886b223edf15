// The finished side of a source build: cache keys, the input index (same
// inputs -> the key they built, so a second request does no work at all),
// and installing the build products into <kernels_dir>/<key>/.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vm/source/source_build.hpp"

namespace kreg {

// SHA-256 over a JSON value's compact text.
std::string json_key(const nlohmann::json& inputs);

// Bumped when kreg builds differently from the same inputs.
inline constexpr const char* kSourceBuildRecipe = "kreg-source-build-1";

// A built kernel's cache key: the source's identity, the patches' contents
// (in order), the final .config and the compiler. Nothing else: how it was
// compiled (ccache or not, -j, which object dir) does not change the kernel.
std::string source_build_key(const std::string& source_id, const std::vector<std::string>& patch_sha256s,
                             const std::string& config_sha256, const std::string& toolchain_id);

// state_dir/inputs/<input key> -> the cache key it built, if still cached.
std::optional<std::string> lookup_input(const std::string& state_dir, const std::string& input_key,
                                        const std::string& kernels_dir);
void remember_input(const std::string& state_dir, const std::string& input_key, const std::string& key);

// Copies bzImage, .config, the log (and installs modules when the config has
// any) from object_dir into <kernels_dir>/<key>/, writes build.json there
// and renames the directory into place last.
SourceBuild install_build(const std::string& tree, const std::string& object_dir, const std::string& kernels_dir,
                          const std::string& key, const std::string& log_path, nlohmann::json record,
                          const std::vector<std::string>& make_prefix);

}  // namespace kreg
