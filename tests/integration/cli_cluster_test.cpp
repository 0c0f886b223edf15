// kreg plan / run --plan / merge / submit: bad input is a one-line error
// (exit 2) naming what is wrong, before anything slow; the Slurm scripts and
// the Kubernetes manifest are written without a cluster.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

// A two-shard plan of one unit each, written by hand (no kernel download).
std::string write_plan(const std::string& dir, const std::string& accel = "tcg") {
  nlohmann::json suite = {{"name", "t"},
                          {"path", ""},
                          {"description", ""},
                          {"kernels", {"debian:bookworm"}},
                          {"cgroup_modes", {"v1"}},
                          {"repetitions", 1},
                          {"jobs",
                           {{{"job_id", "netns/live"}, {"scenario", "netns"}, {"targets", {0, 5}}},
                            {{"job_id", "dentries"}, {"scenario", "dentry-negative"}, {"targets", {0, 5}}}}},
                          {"vm",
                           {{"vcpus", 1},
                            {"memory_mib", 0},
                            {"disk_mib", 2048},
                            {"timeout_s", 300.0},
                            {"hello_timeout_s", 120.0},
                            {"parallel", 0},
                            {"append", ""}}}};
  nlohmann::json plan = {
      {"schema", "kreg.plan"},
      {"schema_version", 1},
      {"plan_id", "p1"},
      {"suite", "t"},
      {"suite_effective", suite},
      {"suite_text", ""},
      {"accel", accel},
      {"vms_per_shard", 1},
      {"kernels",
       {{{"spec", "debian:bookworm"},
         {"label", "k"},
         {"kernel", {{"release", "k"}, {"vmlinuz", "/nonexistent"}, {"image_sha256", std::string(64, 'a')}}}}}},
      {"units",
       {{{"unit_id", "k/netns/live"},
         {"kernel", "k"},
         {"record", "jobs/k/netns__live.json"},
         {"cost_s", 4.0},
         {"memory_mib", 1024},
         {"shard", 0}},
        {{"unit_id", "k/dentries"},
         {"kernel", "k"},
         {"record", "jobs/k/dentries.json"},
         {"cost_s", 4.0},
         {"memory_mib", 1024},
         {"shard", 1}}}},
      {"shards",
       {{{"index", 0}, {"units", {"k/netns/live"}}, {"cost_s", 4.0}, {"memory_mib", 1024}, {"timeout_s", 360.0}},
        {{"index", 1}, {"units", {"k/dentries"}}, {"cost_s", 4.0}, {"memory_mib", 1024}, {"timeout_s", 360.0}}}}};
  std::string path = dir + "/plan.json";
  std::ofstream(path) << plan.dump(2);
  return path;
}

TEST(CliCluster, PlanWithMoreShardsThanUnitsFailsBeforeAnyDownload) {
  TempDir dir;
  expect_one_line_error(run_kreg({"plan", "smoke", "--shards", "9", "--results", dir.path, "--cache", dir.path + "/c"}),
                        "only 3 units");
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/c/kernels"));
}

TEST(CliCluster, RunPlanNeedsAShardAndRefusesOverrides) {
  TempDir dir;
  std::string plan = write_plan(dir.path);
  CapturedRun no_shard = run_kreg({"run", "--plan", plan});
  EXPECT_EQ(no_shard.exit_code, 2);
  EXPECT_NE(no_shard.err.find("--shard"), std::string::npos) << no_shard.err;
  expect_one_line_error(run_kreg({"run", "--plan", plan, "--shard", "0", "--targets", "0,9"}), "--targets");
  expect_one_line_error(run_kreg({"run", "--plan", plan, "--shard", "2", "--results", dir.path}), "--shard 2");
  expect_one_line_error(run_kreg({"run", "--plan", dir.path + "/nope.json", "--shard", "0"}), "nope.json");
}

TEST(CliCluster, MergeOfNothingNamesTheDirectory) {
  TempDir dir;
  expect_one_line_error(run_kreg({"merge", dir.path}), "holds no shard results");
}

TEST(CliCluster, SlurmDryRunWritesTheArrayAndMergeScripts) {
  TempDir dir;
  std::string plan = write_plan(dir.path);
  CapturedRun r = run_kreg({"submit", "slurm", plan, "--results", dir.path + "/results", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("#SBATCH --array=0-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--shard \"$SLURM_ARRAY_TASK_ID\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("#SBATCH --cpus-per-task=1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("--dependency=afterany:"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.path + "/results/p1/slurm/shards.sbatch"));
  EXPECT_TRUE(std::filesystem::exists(dir.path + "/results/p1/plan.json"));
}

TEST(CliCluster, K8sManifestNeedsAVolumeClaimAndNoCluster) {
  TempDir dir;
  std::string plan = write_plan(dir.path, "kvm");
  CapturedRun missing = run_kreg({"submit", "k8s", plan});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--volume-claim"), std::string::npos) << missing.err;
  CapturedRun r = run_kreg({"submit", "k8s", plan, "--volume-claim", "results", "--out", dir.path + "/job.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.path + "/job.yaml");
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(yaml.find("completionMode: Indexed"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("/dev/kvm"), std::string::npos);
}

}  // namespace
}  // namespace kreg::test
