// Runs the built kreg binary the way a user does, for CLI and VM tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vm/common/process.hpp"

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

// Exit 2; the error is one line, the last on stderr, and names `needle`.
// (Progress lines such as "kreg: kernel ..." may precede it.)
inline void expect_one_line_error(const CapturedRun& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::string err = r.err;
  ASSERT_FALSE(err.empty());
  ASSERT_EQ(err.back(), '\n');
  err.pop_back();
  std::string last = err.substr(err.rfind('\n') + 1);
  EXPECT_EQ(last.rfind("kreg: error: ", 0), 0u) << last;
  EXPECT_NE(last.find(needle), std::string::npos) << "stderr: " << r.err;
  size_t error_lines = 0;
  for (size_t at = 0; (at = r.err.find("kreg: error:", at)) != std::string::npos; ++at) ++error_lines;
  EXPECT_EQ(error_lines, 1u) << "more than one error line: " << r.err;
}

}  // namespace kreg::test
