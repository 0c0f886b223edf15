// Shared helpers for the host-side VM plumbing tests (initramfs, ELF closure,
// .deb extraction): temp directories, file I/O and error capture.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "vm/common/error.hpp"

namespace kreg::test {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kreg-vmhost-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& p, const std::string& content, unsigned mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  fs::permissions(p, static_cast<fs::perms>(mode));
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Deterministic bytes that are not one repeated pattern (catches chunk mix-ups).
inline std::string pattern_bytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const KregError& e) {
    return e.what();
  }
  return "<no KregError thrown>";
}

}  // namespace kreg::test
