// The captured kernel files of tests/fixtures/ (Debian 5.10, 6.1, 6.12, 7.3;
// cgroup v1 and v2) and what each capture holds, shared by the parser tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace kreg::test {

// What each captured boot looks like. -1 means "not applicable / absent".
struct Fixture {
  const char* dir;
  int cgroup;                                 // 1 or 2: hierarchy the memory controller was put on
  bool memcg_files;                           // false: kernel built without memcg v1, nothing captured
  int cgroups_rows;                           // rows in /proc/cgroups
  int64_t memory_num;                         // /proc/cgroups memory num_cgroups; -1: no memory row
  int memory_hier;                            // /proc/cgroups memory hierarchy id
  int64_t nr_dentry, nr_unused, nr_negative;  // dentry-state fields 1, 2, 5
  int64_t slab_kb, percpu_kb, memtotal_kb;    // /proc/meminfo
  int64_t root_file;                          // root memory.stat: v1 total_cache, v2 file (bytes)
  int64_t root_anon;                          // v2 root memory.stat anon; v1 root total_rss
  int64_t live_file;                          // kubepods/live: v1 total_cache, v2 file (bytes)
  int64_t kubepods_dying;                     // v2 kubepods cgroup.stat nr_dying_descendants
};

// gtest prints a parameter it cannot format as raw bytes, which ctest then
// shows in every test name; the folder says it all.
inline void PrintTo(const Fixture& f, std::ostream* os) { *os << f.dir; }

// clang-format off
inline const Fixture kFixtures[] = {
  {"5.10.0-32-cloud-amd64-v1",      1, true,  13, 53, 1, 8706,  57, 50, 12436, 872, 1002224, 7299072, 135168, 946176,  -1},
  {"5.10.0-32-cloud-amd64-v2",      2, true,  13, 53, 0, 8708,  58, 50, 12456, 880, 1002224, 7299072, 135168, 946176,  50},
  {"6.1.0-47-cloud-amd64-v1",       1, true,  14, 53, 1, 10473, 56, 50, 16228, 704, 996384,  7667712, 180224, 1048576, -1},
  {"6.1.0-47-cloud-amd64-v2",       2, true,  14, 53, 0, 10475, 58, 50, 16328, 704, 996384,  7667712, 176128, 1048576, 50},
  {"6.12.117+deb13-cloud-amd64-v1", 1, false, 14, 1,  0, 624,   5,  0,  7848,  552, 990916,  -1,      -1,     -1,      -1},
  {"6.12.117+deb13-cloud-amd64-v2", 2, true,  14, 53, 0, 577,   58, 50, 8640,  720, 990916,  7667712, 180224, 1048576, 50},
  {"7.3.4+deb13-cloud-amd64-v1",    1, false, 12, -1, 0, 667,   5,  0,  9268,  528, 985128,  -1,      -1,     -1,      -1},
  {"7.3.4+deb13-cloud-amd64-v2",    2, true,  12, -1, 0, 620,   58, 50, 9424,  576, 985128,  7667712, 180224, 1048576, 0},
};
// clang-format on

inline std::string fixture_path(const Fixture& f, const std::string& file) {
  return std::string(KREG_SOURCE_DIR "/tests/fixtures/") + f.dir + "/" + file;
}

inline bool fixture_exists(const Fixture& f, const std::string& file) {
  return std::filesystem::exists(fixture_path(f, file));
}

// Throws (failing the test with the path) rather than returning "" for a
// missing file, so a mistyped name cannot pass as an empty-input test.
inline std::string read_fixture(const Fixture& f, const std::string& file) {
  const auto path = fixture_path(f, file);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline size_t non_blank_lines(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
  }
  return n;
}

inline bool is_v2(const Fixture& f) { return f.cgroup == 2; }
inline std::string major(const Fixture& f) {
  const std::string d = f.dir;
  return d.substr(0, d.find('.'));
}

class KernelFiles : public ::testing::TestWithParam<Fixture> {};

inline std::string fixture_name(const ::testing::TestParamInfo<Fixture>& info) {
  std::string s = info.param.dir;
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

// tests/fixtures/configs/<name>.config: extracts of real kernel configs.
inline std::string fixture_config(const std::string& name) {
  std::ifstream in(std::string(KREG_SOURCE_DIR "/tests/fixtures/configs/") + name + ".config");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

}  // namespace kreg::test
