#include "vm/common/source_dir.hpp"

#include <cstdlib>
#include <filesystem>

namespace kreg {

namespace {

std::string find_data_dir() {
  if (const char* dir = std::getenv("KREG_DATA_DIR"); dir && *dir) return dir;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / "share" / "kreg";
    if (std::filesystem::is_directory(installed / "suites", ec)) return installed.string();
  }
  return KREG_SOURCE_DIR;
}

}  // namespace

const std::string& source_dir() {
  static const std::string dir = find_data_dir();
  return dir;
}

}  // namespace kreg
