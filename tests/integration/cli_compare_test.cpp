// `kreg compare` as a CI job runs it: exit codes 0 / 1 / 2, the files it
// writes, and one-line reasons when it cannot compare. On the real netns
// records of tests/fixtures/runs/default-4k-netns (see tests/unit/compare_test.cpp
// for why dead-vs-live netns is the growing/flat pair).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

const std::string kRun = std::string(KREG_SOURCE_DIR) + "/tests/fixtures/runs/default-4k-netns";
const std::string kDead = kRun + "/jobs/6.1.0-50-cloud-amd64/netns__dead.json";
const std::string kLive = kRun + "/jobs/6.1.0-50-cloud-amd64/netns__live.json";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Outputs {
  TempDir dir;
  std::vector<std::string> args() const {
    return {"--junit", dir.path + "/junit.xml",   "--markdown", dir.path + "/summary.md",
            "--json",  dir.path + "/compare.json"};
  }
};

CapturedRun compare(const std::vector<std::string>& sides, const Outputs& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"compare"};
  args.insert(args.end(), sides.begin(), sides.end());
  for (const auto& a : out.args()) args.push_back(a);
  args.insert(args.end(), extra.begin(), extra.end());
  return run_kreg(args);
}

TEST(CliCompare, RegressionExitsOneAndWritesJunitAndMarkdown) {
  Outputs out;
  CapturedRun r = compare({kDead, kLive}, out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("REGRESSION"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("6 metrics: 4 regressions, 0 improved, 2 ok, 0 not compared"), std::string::npos) << r.out;
  std::string junit = slurp(out.dir.path + "/junit.xml");
  EXPECT_NE(junit.find("tests=\"6\" failures=\"4\""), std::string::npos) << junit.substr(0, 400);
  size_t ipv6 = junit.find("name=\"sysctl_ipv6_disable_ipv6_open\"");
  size_t ipv4 = junit.find("name=\"sysctl_ipv4_forwarding_open\"");
  ASSERT_NE(ipv6, std::string::npos);
  ASSERT_NE(ipv4, std::string::npos);
  EXPECT_LT(junit.find("<failure", ipv6), junit.find("</testcase>", ipv6));
  EXPECT_GT(junit.find("<failure", ipv4), junit.find("</testcase>", ipv4));
  std::string md = slurp(out.dir.path + "/summary.md");
  EXPECT_EQ(md.rfind("# kreg compare", 0), 0u);
  EXPECT_NE(md.find("**REGRESSION"), std::string::npos);
}

TEST(CliCompare, WritesCompareJsonAndLeadsWithTheFindings) {
  Outputs out;
  CapturedRun r = compare({kDead, kLive}, out);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  // The terminal summary: the findings come before the table of every metric.
  size_t findings = r.out.find("Findings for kreg compare");
  ASSERT_NE(findings, std::string::npos) << r.out;
  EXPECT_LT(findings, r.out.find("METRIC"));
  EXPECT_NE(r.out.find("[regression "), std::string::npos) << r.out;
  std::string md = slurp(out.dir.path + "/summary.md");
  EXPECT_LT(md.find("## Findings"), md.find("| Job | Metric"));
  nlohmann::json j = read_json(out.dir.path + "/compare.json");
  EXPECT_EQ(j["schema"], "kreg.compare");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["counts"]["regression"], 4);
  EXPECT_EQ(j["counts"]["metrics"], 6);
  EXPECT_EQ(j["settings"]["min_points"], "majority");
  ASSERT_EQ(j["metrics"].size(), 6u);
  for (const auto& m : j["metrics"]) EXPECT_NE(m["metric"], "timer_overhead");
  const auto& ipv6 = *std::find_if(j["metrics"].begin(), j["metrics"].end(),
                                   [](const auto& m) { return m["metric"] == "sysctl_ipv6_disable_ipv6_open"; });
  EXPECT_EQ(ipv6["verdict"], "REGRESSION");
  EXPECT_TRUE(ipv6["slope"]["regressed"].get<bool>());
  EXPECT_EQ(ipv6["points"].size(), 3u);
  EXPECT_EQ(ipv6["points"][2]["test"], "welch");
  // The findings: the four regressed sysctl metrics in one sentence, the largest effect first.
  ASSERT_GE(j["findings"]["findings"].size(), 1u);
  const auto& first = j["findings"]["findings"][0];
  EXPECT_EQ(first["kind"], "regression");
  EXPECT_EQ(first["evidence"]["metrics"].size(), 4u);
  EXPECT_EQ(first["evidence"]["plot"].get<std::string>().rfind("latency__netns-live__sysctl_", 0), 0u);
}

TEST(CliCompare, NoRegressionExitsZero) {
  Outputs out;
  CapturedRun back = compare({kLive, kDead}, out);  // dropping the live netns only improves
  EXPECT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_EQ(back.out.find("REGRESSION"), std::string::npos) << back.out;
  EXPECT_NE(slurp(out.dir.path + "/junit.xml").find("failures=\"0\""), std::string::npos);
  // The same kernel of a run against itself, selected with RUN:KERNEL.
  CapturedRun self = compare({kRun + ":6.12", kRun + ":6.12"}, out);
  EXPECT_EQ(self.exit_code, 0) << self.out << self.err;
}

TEST(CliCompare, DifferentAcceleratorsAreRefused) {
  // A copy of the real live record, relabelled as if it had run under KVM (the
  // only change): compare must refuse it without being told otherwise.
  Outputs out;
  nlohmann::json live = read_json(kLive);
  ASSERT_EQ(live["machine"]["accelerator"], "tcg");
  live["machine"]["accelerator"] = "kvm";
  std::string kvm = out.dir.path + "/netns__live.json";
  std::ofstream(kvm) << live.dump();
  CapturedRun r = compare({kDead, kvm}, out);
  expect_one_line_error(r, "under tcg and the new side under kvm");
  EXPECT_NE(r.err.find("--allow-accelerator-mismatch"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out.dir.path + "/junit.xml"));
  // Told to, it compares and says so.
  CapturedRun allowed = compare({kDead, kvm}, out, {"--allow-accelerator-mismatch"});
  EXPECT_EQ(allowed.exit_code, 1) << allowed.out << allowed.err;
  EXPECT_NE(allowed.out.find("accelerators differ"), std::string::npos) << allowed.out;
}

TEST(CliCompare, NothingComparableExitsTwoWithTheReason) {
  // A copy of the real dead record whose job is marked skipped (no points): no metric can be compared.
  Outputs out;
  nlohmann::json skipped = read_json(kDead);
  skipped["status"] = "skipped";
  skipped["skip_reason"] = "kernel lacks the feature";
  skipped["points"] = nlohmann::json::array();
  std::string path = out.dir.path + "/skipped.json";
  std::ofstream(path) << skipped.dump();
  CapturedRun r = compare({kLive, path}, out);
  expect_one_line_error(r, "no metric could be compared (6 metrics: 6 x new skipped: kernel lacks the feature)");
  // The files still say which metrics were skipped, for the CI system.
  EXPECT_NE(slurp(out.dir.path + "/junit.xml").find("skipped=\"6\""), std::string::npos);
}

TEST(CliCompare, BadArguments) {
  Outputs out;
  expect_one_line_error(compare({kRun + ":9.9", kLive}, out), "kernel '9.9' is not in");
  expect_one_line_error(compare({kRun + ":6", kLive}, out), "ambiguous");
  expect_one_line_error(compare({"/nonexistent/run", kLive}, out), "/nonexistent/run");
  expect_one_line_error(compare({kDead, kLive}, out, {"--threshold-for", "nosuchmetric=5"}), "nosuchmetric");
  expect_one_line_error(compare({kDead, kLive}, out, {"--threshold-for", "sysctl_ipv6_disable_ipv6_open"}),
                        "METRIC=PCT");
  expect_one_line_error(compare({kDead, kLive}, out, {"--alpha", "2"}), "--alpha");
  expect_one_line_error(run_kreg({"compare", kDead}), "new");
}

TEST(CliCompare, PerMetricThreshold) {
  Outputs out;
  CapturedRun r = compare(
      {kDead, kLive}, out,
      {"--threshold-for", "sysctl_ipv6_disable_ipv6_open=1e9", "--threshold-for", "sysctl_ipv6_disable_ipv6_stat=1e9",
       "--threshold-for", "sysctl_core_somaxconn_open=1e9", "--threshold-for", "sysctl_core_somaxconn_stat=1e9"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("sysctl_ipv6_disable_ipv6_open 1e+09%"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kreg::test
