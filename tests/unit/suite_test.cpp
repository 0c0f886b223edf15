// Suites: every shipped suite parses; a typo or a wrong type is an error
// naming the file, the line and the key; the matrix crosses kernels, modes
// and repetitions into uniquely named units.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "harness/cli/run_command.hpp"
#include "harness/matrix/matrix.hpp"
#include "harness/matrix/matrix_scheduler.hpp"
#include "harness/matrix/suite.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_suite(text, "s.toml");
  } catch (const KregError& e) {
    return e.what();
  }
  return "";
}

const char* kMinimal = R"(kernels = ["debian:bookworm", "debian:trixie"]
cgroup_modes = ["v1", "v2"]
[[job]]
id = "memcg"
scenario = "memcg-churn"
targets = [0, 10]
[[job]]
id = "netns"
scenario = "netns"
targets = [0, 5]
params = { mode = "live" }
)";

TEST(Suite, EveryShippedSuiteParses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(KREG_SOURCE_DIR "/suites")) {
    if (e.path().extension() != ".toml") continue;
    SCOPED_TRACE(e.path().string());
    Suite s = load_suite(e.path().string());
    EXPECT_FALSE(s.kernels.empty());
    EXPECT_FALSE(s.jobs.empty());
    ++n;
  }
  EXPECT_GE(n, 3);
  // The issue's comparison: 5.10, 6.1, 6.12 and the newest 7.x.
  EXPECT_EQ(load_suite("default").kernels, (std::vector<KernelSpec>{"debian:bullseye:5.10", "debian:bookworm:6.1",
                                                                    "debian:trixie:6.12", "debian:trixie-backports"}));
}

// A source kernel carries patches and a base config, relative to the suite
// file; it survives run.json (suite_to_json) for --resume.
TEST(Suite, SourceKernelTables) {
  Suite s = parse_suite(
      "kernels = [\"debian:bookworm:6.1\", { spec = \"debian-source:bookworm:6.1\", patches = [\"p/a.patch\", "
      "\"/abs/b.patch\"], config = \"vendor.config\", label = \"6.1-ab\" }]\n[[job]]\nid = \"j\"\n"
      "scenario = \"netns\"\ntargets = [0]\n",
      "/suites/x.toml");
  ASSERT_EQ(s.kernels.size(), 2u);
  EXPECT_EQ(s.kernels[0], KernelSpec("debian:bookworm:6.1"));
  EXPECT_FALSE(s.kernels[0].is_source());
  const KernelSpec& k = s.kernels[1];
  EXPECT_TRUE(k.is_source());
  EXPECT_EQ(k.patches, (std::vector<std::string>{"/suites/p/a.patch", "/abs/b.patch"}));
  EXPECT_EQ(k.config, "/suites/vendor.config");
  EXPECT_EQ(k.label, "6.1-ab");
  Suite back = suite_from_json(suite_to_json(s));
  EXPECT_EQ(back.kernels, s.kernels);
  EXPECT_TRUE(suite_to_json(s)["kernels"][0].is_string()) << "a plain spec stays a string in run.json";
  // The shipped control suite: binary, source, source + the control patch.
  Suite control = load_suite("control");
  ASSERT_EQ(control.kernels.size(), 3u);
  EXPECT_EQ(control.kernels[2].patches.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(control.kernels[2].patches[0])) << control.kernels[2].patches[0];
}

TEST(Suite, UnknownKeyIsNamedWithItsLine) {
  std::string err = error_of(std::string(kMinimal) + "sampels = 3\n");
  EXPECT_NE(err.find("s.toml:12"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key 'sampels'"), std::string::npos) << err;
  EXPECT_NE(err.find("samples"), std::string::npos) << "the known keys are listed: " << err;
}

TEST(Suite, WrongTypeIsNamedWithItsLine) {
  std::string text = kMinimal;
  text.replace(text.find("targets = [0, 10]"), 17, "targets = \"0,10\"");
  std::string err = error_of(text);
  EXPECT_NE(err.find("s.toml:6"), std::string::npos) << err;
  EXPECT_NE(err.find("'targets' must be an array of integers"), std::string::npos) << err;
  EXPECT_NE(error_of(std::string(kMinimal) + "[vm]\nvcpus = \"two\"\n").find("s.toml:13: 'vcpus' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("kernels = [1]\n").find("each kernel is a spec string or a table"), std::string::npos);
}

TEST(Suite, SyntaxErrorsAndBadValuesNameTheProblem) {
  EXPECT_NE(error_of("kernels = [\"a\"\n").find("s.toml:"), std::string::npos);
  EXPECT_NE(error_of("kernels = [\"a\"]\ncgroup_modes = [\"v3\"]\n[[job]]\nid=\"x\"\nscenario=\"netns\"\ntargets=[1]\n")
                .find("'v3' is not v1 or v2"),
            std::string::npos);
  std::string text = kMinimal;
  text.replace(text.find("targets = [0, 10]"), 17, "targets = [10, 5]");
  EXPECT_NE(error_of(text).find("strictly increasing"), std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[[job]]\nid = \"netns\"\nscenario = \"netns\"\ntargets = [1]\n")
                .find("two jobs share the id netns"),
            std::string::npos);
  const std::string vm =
      "kernels = [\"a\"]\n[vm]\nmachine = \"q35\"\n[[job]]\nid=\"x\"\nscenario=\"netns\"\ntargets=[1]\n";
  EXPECT_NE(error_of(vm).find("'machine' must be \"auto\", \"pc\" or \"microvm\""), std::string::npos) << error_of(vm);
}

TEST(Suite, MachineDefaultsToAutoAndSurvivesTheRunFile) {
  EXPECT_EQ(parse_suite(kMinimal, "s.toml").vm.machine, "auto");
  std::string text = kMinimal;
  text.insert(text.find("[[job]]"), "[vm]\nmachine = \"pc\"\n");
  Suite s = parse_suite(text, "s.toml");
  EXPECT_EQ(s.vm.machine, "pc");
  EXPECT_EQ(suite_from_json(suite_to_json(s)).vm.machine, "pc");
}

TEST(Matrix, CgroupJobsRunPerModeOthersOncePerKernel) {
  Suite s = parse_suite(kMinimal, "s.toml");
  std::vector<MatrixUnit> units = plan_matrix(s, {"6.1.0-56-cloud-amd64", "6.12.117+deb13-cloud-amd64"});
  ASSERT_EQ(units.size(), 2u * 2 + 2);  // memcg x 2 modes x 2 kernels, netns x 2 kernels
  std::set<std::string> ids, records;
  for (const auto& u : units) {
    ids.insert(u.unit_id);
    records.insert(u.record_path);
  }
  EXPECT_EQ(ids.size(), units.size());
  EXPECT_EQ(records.size(), units.size());
  EXPECT_EQ(units[0].job["job_id"], "memcg/v1");
  EXPECT_EQ(units[0].job["cgroup_mode"], "v1");
  EXPECT_FALSE(units[0].job["params"].contains("cgroup_mode")) << "the mode is the job's, not a generator parameter";
  EXPECT_EQ(units[1].kernel_label, "6.12.117+deb13-cloud-amd64") << "kernel-minor order";
  EXPECT_EQ(units[2].job["job_id"], "memcg/v2");
  EXPECT_EQ(units[4].job["job_id"], "netns");
  EXPECT_EQ(units[4].record_path, "jobs/6.1.0-56-cloud-amd64/netns.json");
  EXPECT_FALSE(units[4].job.contains("cgroup_modes"));
}

TEST(Matrix, RepetitionsAreSeparateUnits) {
  Suite s = parse_suite(std::string("repetitions = 3\n") + kMinimal, "s.toml");
  std::vector<MatrixUnit> units = plan_matrix(s, {"k"});
  ASSERT_EQ(units.size(), 3u * 3);
  EXPECT_EQ(units[0].record_path, "jobs/k/memcg__v1.r1.json");
  EXPECT_EQ(units[2].unit_id, "k/memcg/v1#r3");
}

TEST(Overrides, CommandLineReplacesKernelsSweepsAndVm) {
  Suite s = parse_suite(kMinimal, "s.toml");
  RunOptions o;
  o.kernels = {"/boot/vmlinuz"};
  o.targets = {0, 3};
  o.cgroup_modes = {"v2"};
  o.vcpus = 4;
  Suite r = apply_overrides(s, o);
  EXPECT_EQ(r.kernels, std::vector<KernelSpec>{"/boot/vmlinuz"});
  EXPECT_EQ(r.jobs[0]["targets"], nlohmann::json({0, 3}));
  EXPECT_EQ(r.vm.vcpus, 4);
  EXPECT_EQ(plan_matrix(r, {"k"}).size(), 2u);
  o.targets = {5, 1};
  EXPECT_THROW(apply_overrides(s, o), KregError);
}

// Through run.json's text and back, every field of the effective suite is
// what it was: compared field by field with the suite itself, so a field the
// writer drops (or the reader ignores) fails. Every field differs from its
// default, so a reader that falls back to defaults fails too.
TEST(Overrides, EffectiveSuiteRoundTripsThroughRunJson) {
  Suite s = parse_suite(R"(kernels = ["debian:bookworm", "debian:trixie"]
cgroup_modes = ["v1", "v2"]
[[job]]
id = "memcg"
scenario = "memcg-churn"
targets = [0, 10]
cgroup_modes = ["v2"]
samples = 7
params = { page_cache = "ext4" }
[[job]]
id = "netns"
scenario = "netns"
targets = [0, 5]
params = { mode = "live" }
)",
                        "s.toml");
  s.name = "round-trip";
  s.description = "every field set";
  s.repetitions = 3;
  s.vm = {3, 1536, 4096, 321.5, 45.25, 2, "quiet kreg.x=1"};
  const std::string run_json = nlohmann::json{{"suite_effective", suite_to_json(s)}}.dump(2);
  Suite back = suite_from_json(nlohmann::json::parse(run_json).at("suite_effective"));
  EXPECT_EQ(back.name, "round-trip");
  EXPECT_EQ(back.path, "s.toml");
  EXPECT_EQ(back.description, "every field set");
  EXPECT_EQ(back.kernels, (std::vector<KernelSpec>{"debian:bookworm", "debian:trixie"}));
  EXPECT_EQ(back.cgroup_modes, (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(back.repetitions, 3);
  EXPECT_EQ(back.vm.vcpus, 3);
  EXPECT_EQ(back.vm.memory_mib, 1536);
  EXPECT_EQ(back.vm.disk_mib, 4096);
  EXPECT_EQ(back.vm.timeout_s, 321.5);
  EXPECT_EQ(back.vm.hello_timeout_s, 45.25);
  EXPECT_EQ(back.vm.parallel, 2);
  EXPECT_EQ(back.vm.append, "quiet kreg.x=1");
  ASSERT_EQ(back.jobs.size(), 2u);
  EXPECT_EQ(back.jobs, s.jobs);
  EXPECT_EQ(back.jobs[0]["job_id"], "memcg");
  EXPECT_EQ(back.jobs[0]["cgroup_modes"], nlohmann::json({"v2"}));
  EXPECT_EQ(back.jobs[0]["samples"], 7);
  EXPECT_EQ(back.jobs[0]["params"]["page_cache"], "ext4");
  EXPECT_EQ(back.jobs[1]["params"]["mode"], "live");
  // The units a resumed run plans are the units the run planned.
  std::vector<std::string> planned, resumed;
  for (const auto& u : plan_matrix(s, {"k"})) planned.push_back(u.unit_id);
  for (const auto& u : plan_matrix(back, {"k"})) resumed.push_back(u.unit_id);
  EXPECT_EQ(resumed, planned);
}

TEST(Scheduler, NeverRunsMoreThanTheLimitAtOnce) {
  std::atomic<int> now{0}, peak{0};
  std::vector<SchedulerTask> tasks(6);
  for (auto& t : tasks) {
    t.vcpus = 1;
    t.memory_mib = 100;
    t.run = [&] {
      int n = ++now;
      int p = peak.load();
      while (n > p && !peak.compare_exchange_weak(p, n)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      --now;
    };
  }
  std::atomic<bool> stop{false};
  size_t started = 0;
  run_scheduled(tasks, {0, 2, 10000}, stop, [&](size_t) { ++started; });
  EXPECT_EQ(started, 6u);
  EXPECT_EQ(peak.load(), 2) << "2 host CPUs, 1 vCPU per VM";
  peak = 0;
  run_scheduled(tasks, {0, 8, 250}, stop, [](size_t) {});
  EXPECT_EQ(peak.load(), 2) << "memory allows two 100 MiB VMs in 250 MiB";
  stop = true;
  started = 0;
  run_scheduled(tasks, {0, 2, 10000}, stop, [&](size_t) { ++started; });
  EXPECT_EQ(started, 0u) << "a stop request launches nothing";
}

}  // namespace
}  // namespace kreg
