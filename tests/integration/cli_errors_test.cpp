// Bad input: each a one-line error naming the input, exit code 2 (1 is kept
// for "regression found"), and no VM started.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

TEST(CliErrors, UnknownSubcommand) { expect_one_line_error(run_kreg({"frobnicate"}), "frobnicate"); }

TEST(CliErrors, UnknownFlag) { expect_one_line_error(run_kreg({"run", "--frobnicate"}), "--frobnicate"); }

TEST(CliErrors, UnknownSuite) { expect_one_line_error(run_kreg({"run", "nosuchsuite"}), "nosuchsuite"); }

TEST(CliErrors, TargetsMustIncrease) {
  expect_one_line_error(run_kreg({"run", "smoke", "--targets", "100,50"}), "--targets");
}

TEST(CliErrors, MissingKernel) {
  TempDir dir;
  expect_one_line_error(run_kreg({"run", "smoke", "--results", dir.path, "--kernel", "/nonexistent/vmlinuz"}),
                        "/nonexistent/vmlinuz");
}

TEST(CliErrors, CorruptKernelImage) {
  TempDir dir;
  std::string bogus = dir.path + "/vmlinuz-bogus";
  std::ofstream(bogus) << std::string(4096, 'x');
  expect_one_line_error(run_kreg({"run", "smoke", "--results", dir.path, "--kernel", bogus}), "not an x86 bzImage");
}

TEST(CliErrors, CorruptKernelPackage) {
  TempDir dir;
  std::string bogus = dir.path + "/linux-image-bogus.deb";
  std::ofstream(bogus) << "!<arch>\nthis is not a real package";
  expect_one_line_error(
      run_kreg({"run", "smoke", "--results", dir.path, "--cache", dir.path + "/cache", "--kernel", bogus}), bogus);
}

TEST(CliErrors, DebianKernelSpecWithoutSuite) {
  TempDir dir;
  expect_one_line_error(run_kreg({"run", "smoke", "--results", dir.path, "--kernel", "debian:"}), "names no suite");
}

TEST(CliErrors, UnknownDebianSuiteIsNamedWithAptsOwnError) {
  TempDir dir;
  CapturedRun r = run_kreg(
      {"run", "smoke", "--results", dir.path, "--cache", dir.path + "/cache", "--kernel", "debian:nosuchsuite"});
  expect_one_line_error(r, "'nosuchsuite'");
  EXPECT_EQ(r.err.find("W: "), std::string::npos) << "apt's warning instead of its error: " << r.err;
}

TEST(CliErrors, NoQemuBinary) {
  expect_one_line_error(run_kreg({"run", "smoke", "--qemu", "/nonexistent/qemu-system-x86_64"}),
                        "/nonexistent/qemu-system-x86_64");
}

TEST(CliErrors, KernelsShowUnknownKernel) {
  expect_one_line_error(run_kreg({"kernels", "show", "no-such-kernel"}), "'no-such-kernel'");
}

TEST(CliErrors, KernelsUnknownAction) {
  TempDir dir;
  expect_one_line_error(run_kreg({"kernels", "frobnicate", "--cache", dir.path}), "'frobnicate'");
}

TEST(CliErrors, ReportOnSomethingThatIsNotARun) {
  TempDir dir;
  expect_one_line_error(run_kreg({"report", dir.path}), dir.path);
}

TEST(CliErrors, ReportCompareFileMissing) {
  TempDir dir;
  std::filesystem::create_directories(dir.path + "/jobs");
  std::ofstream(dir.path + "/jobs/a.json") << "{\"points\": []}";
  expect_one_line_error(run_kreg({"report", dir.path, "--compare", dir.path + "/absent.md"}), "absent.md");
}

TEST(CliErrors, ExistingRunIsNeverOverwritten) {
  TempDir dir;
  std::filesystem::create_directories(dir.path + "/r1");
  std::ofstream(dir.path + "/r1/run.json") << "{\"kept\": true}";
  expect_one_line_error(run_kreg({"run", "smoke", "--results", dir.path, "--run-id", "r1"}), "already holds a run");
  EXPECT_TRUE(read_json(dir.path + "/r1/run.json")["kept"].get<bool>());
}

// The subcommands README.md documents, written out here rather than taken
// from kreg: --help lists exactly these, each with its own help.
TEST(CliErrors, HelpListsEverySubcommandAndIsNotAnError) {
  CapturedRun r = run_kreg({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  const size_t section = r.out.find("\nSubcommands:\n");
  ASSERT_NE(section, std::string::npos) << r.out;
  std::set<std::string> listed;
  std::istringstream lines(r.out.substr(section + 14));
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    listed.insert(name);
  }
  const std::set<std::string> documented = {"run",   "scenario", "report",  "catalog",  "kernels", "plan",
                                            "merge", "submit",   "compare", "findings", "bisect"};
  EXPECT_EQ(listed, documented) << r.out;
  for (const auto& sub : documented) {
    CapturedRun help = run_kreg({sub, "--help"});
    EXPECT_EQ(help.exit_code, 0) << sub << ": " << help.err;
    EXPECT_NE(help.out.find("Usage:"), std::string::npos) << sub << ": " << help.out;
  }
}

}  // namespace
}  // namespace kreg::test
