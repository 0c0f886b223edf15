// Boots the real kernel (newest Debian 6.1 cloud, fetched by kreg itself) in
// QEMU with the smoke sweep and checks what the harness guarantees: the
// records arrive intact, the counts come from the kernel, the report renders.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "tests/integration/kreg_cli.hpp"
#include "vm/channel/record_frame.hpp"

namespace kreg::test {
namespace {

// Judged from the host, apart from kreg's own probe: without a /dev/kvm to
// open, or with only kvm_pvm (which boots PVM-enabled guests only), a guest
// can run under TCG and nothing else. Else "" (kreg's probe decides).
std::string only_possible_accelerator() {
  if (access("/dev/kvm", R_OK | W_OK) != 0) return "tcg";
  namespace fs = std::filesystem;
  if (fs::exists("/sys/module/kvm_pvm") && !fs::exists("/sys/module/kvm_intel") && !fs::exists("/sys/module/kvm_amd"))
    return "tcg";
  return "";
}

class VmSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_ = new CapturedRun(run_kreg({"run", "smoke", "--results", dir_->path, "--run-id", "smoke"}));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
  }
  static std::string run_dir() { return dir_->path + "/smoke"; }
  // The run.json entry of a unit, by the guest's job id.
  static nlohmann::json unit(const std::string& job_id) {
    nlohmann::json run = read_json(run_dir() + "/run.json");  // kept alive across the loop
    for (const auto& u : run["units"])
      if (u["job_id"] == job_id) return u;
    return nullptr;
  }
  static nlohmann::json job_record(const std::string& job_id = "memcg-churn/tmpfs-4096/v1") {
    nlohmann::json u = unit(job_id);
    if (u.is_null()) return nullptr;
    return read_json(run_dir() + "/" + u["record"].get<std::string>());
  }
  static TempDir* dir_;
  static CapturedRun* run_;
};
TempDir* VmSmoke::dir_ = nullptr;
CapturedRun* VmSmoke::run_ = nullptr;

TEST_F(VmSmoke, RunSucceedsAndRecordsTheVm) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  nlohmann::json run = read_json(run_dir() + "/run.json");
  EXPECT_EQ(run["status"], "ok");
  // memcg churn in v1 and v2, live netns once: one VM each.
  ASSERT_EQ(run["units"].size(), 3u);
  for (const auto& u : run["units"]) {
    EXPECT_EQ(u["status"], "ok") << u.dump();
    EXPECT_EQ(u["end"], "done");
    EXPECT_GT(u["boot_to_hello_s"].get<double>(), 0.0);
    EXPECT_TRUE(std::filesystem::exists(run_dir() + "/" + u["record"].get<std::string>()));
  }
  EXPECT_GE(run["parallel"].get<int>(), 1);
  EXPECT_EQ(run["kernels"].size(), 1u);
  EXPECT_TRUE(std::filesystem::is_symlink(dir_->path + "/latest"));
}

TEST_F(VmSmoke, StoredRecordIsExactlyWhatTheGuestSent) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  // Decode the raw ttyS1 stream again, independently of the run.
  std::string vm_dir = run_dir() + "/" + unit("memcg-churn/tmpfs-4096/v1")["vm_dir"].get<std::string>();
  std::ifstream serial(vm_dir + "/results.serial", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(serial)), std::istreambuf_iterator<char>());
  FrameDecoder decoder;
  decoder.feed(bytes);
  EXPECT_EQ(decoder.corrupt(), 0u);
  nlohmann::json sent;
  std::vector<std::string> types;
  for (const Frame& f : decoder.take()) {
    types.push_back(f.type);
    if (f.type == "job") sent = nlohmann::json::parse(f.payload);
  }
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "hello");
  EXPECT_EQ(types.back(), "done");
  ASSERT_FALSE(sent.is_null()) << "no job frame on ttyS1";
  nlohmann::json stored = job_record();
  EXPECT_EQ(stored["points"], sent["points"]);
  EXPECT_EQ(stored["job"], sent["job"]);
}

TEST_F(VmSmoke, DyingMemcgsMeasuredFromTheKernelMatchChurned) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  nlohmann::json r = job_record();
  ASSERT_EQ(r["status"], "ok") << r["error"].dump();
  EXPECT_EQ(r["schema_version"], 1);
  EXPECT_FALSE(r["kernel"]["release"].get<std::string>().empty());
  EXPECT_FALSE(r["kernel"]["package"].get<std::string>().empty());
  const std::string accel = r["machine"]["accelerator"];
  EXPECT_TRUE(accel == "tcg" || accel == "kvm") << accel;
  if (!only_possible_accelerator().empty()) EXPECT_EQ(accel, only_possible_accelerator());
  if (accel == "tcg") EXPECT_FALSE(r["machine"].value("accelerator_reason", "").empty()) << "TCG without a reason";
  auto targets = r["job"]["targets"].get<std::vector<int64_t>>();
  ASSERT_EQ(r["points"].size(), targets.size());
  int64_t baseline = r["baseline"]["memcg_dying"];
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& p = r["points"][i];
    int64_t churned = p["created"];
    EXPECT_EQ(churned, targets[i]);
    EXPECT_EQ(p["measured"]["memcg_dying_source"], "proc_cgroups");
    int64_t dying = p["measured"]["memcg_dying"].get<int64_t>() - baseline;
    // 6.1 keeps tmpfs-charged memcgs: this proves the measurement path.
    EXPECT_GE(static_cast<double>(dying), 0.95 * static_cast<double>(churned)) << "point " << i;
    EXPECT_LE(dying, churned) << "more dying memcgs than churned at point " << i;
    EXPECT_GT(p["counters"]["meminfo_slab_kb"].get<int64_t>(), 0);
    // v1 reads memory.usage_in_bytes under the quantity's one name.
    const std::string path = p["metrics"]["root_memory_current_read"].value("path", "");
    EXPECT_TRUE(path.ends_with("/memory.usage_in_bytes")) << p["metrics"].dump();
  }
}

TEST_F(VmSmoke, CgroupV2ModePutsTheMemoryControllerOnV2) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  nlohmann::json r = job_record("memcg-churn/tmpfs-4096/v2");
  ASSERT_EQ(r["status"], "ok") << r["error"].dump();
  EXPECT_NE(r["kernel"]["cmdline"].get<std::string>().find("cgroup_no_v1=all"), std::string::npos);
  EXPECT_EQ(r["job"]["cgroup_mode"], "v2");
  EXPECT_EQ(r["unit"]["cgroup_mode"], "v2");
  // The v2 parent's own count of dying children agrees with the memcgs made.
  const auto& last = r["points"].back();
  EXPECT_EQ(last["measured"]["parent_nr_dying_descendants"], last["created"]);
  // One metric name per quantity in both modes: memory.current on v2.
  EXPECT_TRUE(last["metrics"].contains("parent_memory_current_read")) << last["metrics"].dump();
}

TEST_F(VmSmoke, EveryRecordCarriesTheGuestsFeatureProbe) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  for (const char* id : {"memcg-churn/tmpfs-4096/v1", "memcg-churn/tmpfs-4096/v2", "netns/live"}) {
    nlohmann::json r = job_record(id);
    ASSERT_FALSE(r.is_null()) << id;
    const auto& f = r["features"];
    for (const char* key : {"cgroup_v1", "cgroup_v2", "memcg_v1", "tracefs", "kprobe_events", "dentry_nr_negative",
                            "module_loading", "memory_in_proc_cgroups"}) {
      ASSERT_TRUE(f.contains(key)) << id << " lacks " << key;
      EXPECT_FALSE(f[key]["evidence"].get<std::string>().empty()) << id << " " << key;
    }
  }
  // Probed on the mounted hierarchy: v2 files only in v2 mode.
  EXPECT_TRUE(job_record("memcg-churn/tmpfs-4096/v2")["features"]["memory_reclaim"]["available"].get<bool>());
  EXPECT_FALSE(job_record("memcg-churn/tmpfs-4096/v1")["features"]["memory_reclaim"]["available"].get<bool>());
  EXPECT_TRUE(job_record("memcg-churn/tmpfs-4096/v1")["features"]["memcg_v1"]["available"].get<bool>());
}

TEST_F(VmSmoke, EveryPointHasBothLatencyDistributions) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  nlohmann::json r = job_record();
  ASSERT_FALSE(r["points"].empty()) << r["error"].dump();
  int samples = r["job"]["samples"];
  for (const auto& p : r["points"]) {
    for (const char* metric : {"root_memory_numa_stat_read", "root_memory_stat_read"}) {
      ASSERT_TRUE(p["metrics"].contains(metric)) << metric;
      const auto& m = p["metrics"][metric];
      EXPECT_EQ(m["samples"], samples);
      double min = m["min_ns"], median = m["median_ns"], p90 = m["p90_ns"], p99 = m["p99_ns"], max = m["max_ns"];
      EXPECT_GT(min, 0.0);
      EXPECT_LE(min, median);
      EXPECT_LE(median, p90);
      EXPECT_LE(p90, p99);
      EXPECT_LE(p99, max);
      EXPECT_GT(m["bytes"].get<double>(), 0.0) << "the stat file read back empty";
    }
    EXPECT_TRUE(p["gbench"].contains("benchmarks"));
  }
}

TEST_F(VmSmoke, ReportRendersPlotsAndSummary) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  CapturedRun report = run_kreg({"report", run_dir()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.err.find("warning"), std::string::npos) << report.err;
  std::string summary_path = run_dir() + "/report/summary.md";
  ASSERT_TRUE(std::filesystem::exists(summary_path));
  std::ifstream in(summary_path);
  std::string summary((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int pngs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir() + "/report")) {
    if (entry.path().extension() != ".png") continue;
    ++pngs;
    EXPECT_GT(entry.file_size(), 1000u) << entry.path();
    EXPECT_NE(summary.find(entry.path().filename().string()), std::string::npos)
        << entry.path().filename() << " not named in summary.md";
  }
  EXPECT_GE(pngs, 2);
  // The report states the accelerator the records name (every report says
  // "TCG timings compare only with TCG timings", whatever ran).
  std::set<std::string> accels;
  for (const char* id : {"memcg-churn/tmpfs-4096/v1", "memcg-churn/tmpfs-4096/v2", "netns/live"})
    accels.insert(job_record(id)["machine"]["accelerator"].get<std::string>());
  ASSERT_EQ(accels.size(), 1u) << "one host, one accelerator";
  const std::string accel = *accels.begin();
  if (!only_possible_accelerator().empty()) EXPECT_EQ(accel, only_possible_accelerator());
  const std::string upper = accel == "tcg" ? "TCG" : accel == "kvm" ? "KVM" : accel;
  EXPECT_NE(summary.find("| " + upper + " |"), std::string::npos) << "no " << upper << " in the kernels table";
  if (accel == "tcg") {
    EXPECT_NE(summary.find("This run's guests ran under TCG"), std::string::npos) << summary;
  } else {
    EXPECT_NE(summary.find("This run used " + upper), std::string::npos) << summary;
    EXPECT_EQ(summary.find("ran under TCG"), std::string::npos) << summary;
  }
}

}  // namespace
}  // namespace kreg::test
