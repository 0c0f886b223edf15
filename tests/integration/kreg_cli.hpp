// Runs the built kreg binary the way a user does, for CLI and VM tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vm/process.hpp"

namespace kreg::test {

inline std::string kreg_binary() { return KREG_BINARY_DIR "/kreg"; }

inline CapturedRun run_kreg(std::vector<std::string> args) {
  args.insert(args.begin(), kreg_binary());
  return run_captured(args);
}

// A fresh directory under /tmp, removed by the destructor.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kreg-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Number of lines in a text, not counting a final newline.
inline size_t line_count(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

}  // namespace kreg::test
