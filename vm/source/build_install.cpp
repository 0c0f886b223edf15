#include "vm/source/build_install.hpp"

#include <filesystem>
#include <fstream>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/common/sha256.hpp"
#include "vm/common/text_file.hpp"
#include "vm/source/kernel_make.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {}  // namespace

std::string json_key(const nlohmann::json& inputs) { return sha256_text(inputs.dump()); }

std::string source_build_key(const std::string& source_id, const std::vector<std::string>& patch_sha256s,
                             const std::string& config_sha256, const std::string& toolchain_id) {
  return json_key({{"recipe", kSourceBuildRecipe},
                   {"source", source_id},
                   {"patches", patch_sha256s},
                   {"config_sha256", config_sha256},
                   {"toolchain", toolchain_id}});
}

std::optional<std::string> lookup_input(const std::string& state_dir, const std::string& input_key,
                                        const std::string& kernels_dir) {
  std::string key = read_file_or_empty(state_dir + "/inputs/" + input_key);
  while (!key.empty() && (key.back() == '\n' || key.back() == ' ')) key.pop_back();
  if (key.empty() || !fs::exists(kernels_dir + "/" + key + "/build.json")) return std::nullopt;
  return key;
}

void remember_input(const std::string& state_dir, const std::string& input_key, const std::string& key) {
  fs::create_directories(state_dir + "/inputs");
  std::ofstream(state_dir + "/inputs/" + input_key, std::ios::trunc) << key << "\n";
}

SourceBuild read_source_build(const std::string& dir) {
  std::ifstream in(dir + "/build.json");
  if (!in) throw KregError("no build.json in " + dir);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw KregError(dir + "/build.json is damaged; remove " + dir + " and build again");
  SourceBuild b;
  b.dir = dir;
  b.vmlinuz = dir + "/vmlinuz";
  b.config_path = dir + "/config";
  b.release = j.value("release", "");
  b.key = j.value("cache_key", "");
  if (fs::is_directory(dir + "/modules/lib/modules/" + b.release))
    b.modules_dir = dir + "/modules/lib/modules/" + b.release;
  b.record = j;
  return b;
}

SourceBuild install_build(const std::string& tree, const std::string& object_dir, const std::string& kernels_dir,
                          const std::string& key, const std::string& log_path, nlohmann::json record,
                          const std::vector<std::string>& make_prefix) {
  const std::string dir = kernels_dir + "/" + key, partial = dir + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  fs::copy_file(object_dir + "/arch/x86/boot/bzImage", partial + "/vmlinuz");
  fs::copy_file(object_dir + "/.config", partial + "/config");
  fs::copy_file(log_path, partial + "/build.log");
  if (read_file_or_empty(partial + "/config").find("=m\n") != std::string::npos) {
    std::vector<std::string> argv = make_prefix;
    argv.insert(argv.end(), {"INSTALL_MOD_PATH=" + fs::absolute(partial + "/modules").string(), "INSTALL_MOD_STRIP=1",
                             "DEPMOD=/bin/true", "modules_install"});
    const std::string install_log = partial + "/modules_install.log";
    MakeResult r = run_kernel_make(argv, install_log, "modules_install");
    if (r.exit_code != 0)
      throw KregError("installing the modules of " + tree +
                      " failed: " + first_build_error(read_file_or_empty(install_log)) + " (log: " + install_log + ")");
  }
  record["cache_key"] = key;
  record["image_sha256"] = sha256_file(partial + "/vmlinuz");
  record["config_sha256"] = sha256_file(partial + "/config");
  std::ofstream(partial + "/build.json") << record.dump(2) << "\n";
  fs::remove_all(dir);
  fs::rename(partial, dir);
  return read_source_build(dir);
}

}  // namespace kreg
