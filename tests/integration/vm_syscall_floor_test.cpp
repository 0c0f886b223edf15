// The guest agent must run on every kernel from 3.10 on. Proof without a 3.10
// kernel: the smoke suite on the cached 6.1 kernel with kreg.syscall_floor=3.10,
// where a seccomp filter answers ENOSYS to every syscall 3.10 lacks, for the
// agent (re-executed under it), kreg-statbench with its dynamic loader and
// libraries, and busybox. Every job must still succeed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "tests/integration/kreg_cli.hpp"
#include "vm/channel/record_frame.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;

// Every regular file under `root`, at any depth, with this extension (or, if
// given, this exact name): the jobs/ layout may nest records by VM.
std::vector<fs::path> files_under(const std::string& root, const std::string& extension, const std::string& name = "") {
  std::vector<fs::path> found;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    if (!name.empty() ? entry.path().filename() == name : entry.path().extension() == extension)
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// What every record and hello frame must say about the floor.
void expect_floor_held(const nlohmann::json& floor, const std::string& where) {
  ASSERT_TRUE(floor.is_object()) << where << ": no syscall_floor";
  EXPECT_EQ(floor.value("floor", ""), "3.10") << where;
  EXPECT_EQ(floor.value("first_denied_nr", 0), 314) << where;
  EXPECT_EQ(floor.value("verified", false), true) << where << ": " << floor.dump();
  // The agent re-executed itself under the filter: its own start-up is covered too.
  EXPECT_EQ(floor.value("whole_agent", false), true) << where << ": " << floor.dump();
  EXPECT_EQ(floor["probes"].value("getrandom", ""), "ENOSYS") << where;
  EXPECT_EQ(floor["probes"].value("statx", ""), "ENOSYS") << where;
  EXPECT_EQ(floor["probes"].value("seccomp_mode", 0), 2) << where;
  ASSERT_TRUE(floor["denied"].is_array()) << where;
  std::set<std::string> denied;
  for (const auto& name : floor["denied"]) denied.insert(name.get<std::string>());
  for (const char* name : {"sched_setattr", "getrandom", "statx", "rseq", "clone3", "close_range", "faccessat2"})
    EXPECT_TRUE(denied.count(name)) << where << ": " << name << " not denied";
  for (const char* name : {"finit_module", "kcmp", "openat", "clone"})
    EXPECT_FALSE(denied.count(name)) << where << ": " << name << " is older than 3.10";
}

TEST(VmSyscallFloor, SmokeJobsSucceedWithEverySyscallNewerThan310Denied) {
  TempDir dir;
  auto start = std::chrono::steady_clock::now();
  CapturedRun run =
      run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "f", "--append", "kreg.syscall_floor=3.10"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("kreg_run_seconds", std::to_string(seconds));
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::vector<fs::path> records = files_under(dir.path + "/f/jobs", ".json");
  ASSERT_FALSE(records.empty()) << "no job records under " << dir.path << "/f/jobs";
  for (const fs::path& path : records) {
    nlohmann::json r = read_json(path.string());
    std::string where = path.filename().string();
    EXPECT_EQ(r.value("status", ""), "ok") << where << ": " << r["error"].dump();
    EXPECT_NE(r["kernel"].value("cmdline", "").find("kreg.syscall_floor=3.10"), std::string::npos) << where;
    expect_floor_held(r["syscall_floor"], where);
  }

  // The hello frame, decoded from the raw result stream, carries it too.
  std::vector<fs::path> streams = files_under(dir.path + "/f", "", "results.serial");
  ASSERT_FALSE(streams.empty()) << "no results.serial under " << dir.path << "/f";
  for (const fs::path& path : streams) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    FrameDecoder decoder;
    decoder.feed(bytes);
    std::vector<Frame> frames = decoder.take();
    ASSERT_FALSE(frames.empty()) << path;
    ASSERT_EQ(frames.front().type, "hello") << path;
    expect_floor_held(nlohmann::json::parse(frames.front().payload)["syscall_floor"], path.string() + " hello");
  }
}

}  // namespace
}  // namespace kreg::test
