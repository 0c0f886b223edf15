#include "harness/store/files.hpp"
#include "vm/common/text_file.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace kreg {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

std::string file_bytes(const std::string& path) { return read_file_or_empty(path); }

void link_or_copy(const std::string& src, const std::string& dst) {
  std::error_code ec;
  if (fs::exists(dst) && fs::equivalent(src, dst, ec)) return;
  fs::create_directories(fs::path(dst).parent_path());
  std::string tmp = dst + ".tmp";
  fs::remove(tmp, ec);
  fs::create_hard_link(src, tmp, ec);
  if (ec) fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, dst);
}

}  // namespace kreg
