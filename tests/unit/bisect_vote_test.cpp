// A bisect step's verdict: hand-written tables of compare verdicts (majority
// over every try against every good try, missing tries not compared), and
// the same rules on real records (tests/fixtures/runs/default-4k-netns:
// netns/dead as the good kernel's behaviour, netns/live as a regressed one,
// see compare_test.cpp), including a whole bisection whose verdicts come
// from kreg compare itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "harness/bisect/bisect_search.hpp"
#include "harness/bisect/packaged_kernels.hpp"
#include "harness/bisect/step_vote.hpp"
#include "harness/cli/bisect_cli.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

const std::string kRun = std::string(KREG_SOURCE_DIR) + "/tests/fixtures/runs/default-4k-netns/jobs/";

nlohmann::json record(const std::string& kernel, const std::string& job) {
  return nlohmann::json::parse(std::ifstream(kRun + kernel + "/" + job + ".json"));
}

// Pairs of one metric from letters: r regression, o ok, i improved, n not compared.
std::vector<PairVerdict> pairs(const std::string& metric, const std::string& letters) {
  std::vector<PairVerdict> out;
  for (size_t i = 0; i < letters.size(); ++i) {
    Verdict v = letters[i] == 'r'   ? Verdict::Regression
                : letters[i] == 'o' ? Verdict::Ok
                : letters[i] == 'i' ? Verdict::Improved
                                    : Verdict::NotCompared;
    out.push_back({i, 0, metric, v, "why"});
  }
  return out;
}

TEST(BisectVote, MajorityOfComparisonsDecides) {
  EXPECT_EQ(vote(pairs("m", "rro"), {"m"}, 3).verdict, StepVerdict::Bad);
  EXPECT_EQ(vote(pairs("m", "roo"), {"m"}, 3).verdict, StepVerdict::Good);
  EXPECT_EQ(vote(pairs("m", "roi"), {"m"}, 3).verdict, StepVerdict::Good);  // improved is no regression
  EXPECT_EQ(vote(pairs("m", "ron"), {"m"}, 3).verdict, StepVerdict::Skip);  // 1 vs 1: undecided
  EXPECT_EQ(vote(pairs("m", "rr"), {"m"}, 4).verdict, StepVerdict::Skip);   // two tries missing: not a majority
  EXPECT_EQ(vote(pairs("m", "rrr"), {"m"}, 4).verdict, StepVerdict::Bad);
  EXPECT_EQ(vote(pairs("m", "nnn"), {"m"}, 3).verdict, StepVerdict::Skip);
  EXPECT_EQ(vote({}, {"m"}, 9).verdict, StepVerdict::Skip);
  EXPECT_EQ(vote(pairs("m", "r"), {}, 1).verdict, StepVerdict::Skip);  // no metric chosen
}

TEST(BisectVote, AnyBadMetricMakesTheStepBadAllGoodMakeItGood) {
  auto both = [](const std::string& a, const std::string& b) {
    std::vector<PairVerdict> p = pairs("a", a), q = pairs("b", b);
    p.insert(p.end(), q.begin(), q.end());
    return vote(p, {"a", "b"}, static_cast<int>(a.size())).verdict;
  };
  EXPECT_EQ(both("rrr", "ooo"), StepVerdict::Bad);
  EXPECT_EQ(both("ooo", "ooo"), StepVerdict::Good);
  EXPECT_EQ(both("ooo", "nnn"), StepVerdict::Skip);  // one metric could not be compared
  EXPECT_EQ(both("rrn", "nnn"), StepVerdict::Bad);
  StepVote v = vote(pairs("a", "rro"), {"a"}, 3);
  EXPECT_NE(v.summary.find("2 of 3 comparisons regress"), std::string::npos) << v.summary;
  EXPECT_EQ(v.metrics.at(0).regressed, 2);
}

TEST(BisectVote, RealRecordsAgainstThemselvesAreGood) {
  const nlohmann::json dead = record("6.1.0-50-cloud-amd64", "netns__dead");
  std::vector<PairVerdict> p = compare_tries({dead}, {dead}, {"sysctl_core_somaxconn_open"}, CompareSettings{});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(vote(p, {"sysctl_core_somaxconn_open"}, 1).verdict, StepVerdict::Good);
  // The good endpoint's own tries, without comparing a try with itself.
  EXPECT_TRUE(compare_tries({dead}, {dead}, {"sysctl_core_somaxconn_open"}, CompareSettings{}, true).empty());
}

TEST(BisectVote, RealRegressionIsBadAndItsControlGood) {
  // Three "tries" per side: the three kernels' records of each job.
  std::vector<nlohmann::json> good, regressed;
  for (const char* k : {"5.10.0-32-cloud-amd64", "6.1.0-50-cloud-amd64", "6.12.117+deb13-cloud-amd64"}) {
    good.push_back(record(k, "netns__dead"));
    regressed.push_back(record(k, "netns__live"));
  }
  const std::string grows = "sysctl_ipv6_disable_ipv6_open", control = "sysctl_ipv4_forwarding_open";
  StepVote bad = vote(compare_tries(good, regressed, {grows}, CompareSettings{}), {grows}, 9);
  EXPECT_EQ(bad.verdict, StepVerdict::Bad) << bad.summary;
  EXPECT_NE(bad.summary.find(grows), std::string::npos);
  StepVote same = vote(compare_tries(good, good, {grows}, CompareSettings{}, true), {grows}, 6);
  EXPECT_NE(same.verdict, StepVerdict::Bad) << same.summary;
  StepVote ctl = vote(compare_tries(good, regressed, {control}, CompareSettings{}), {control}, 9);
  EXPECT_NE(ctl.verdict, StepVerdict::Bad) << ctl.summary;
}

TEST(BisectVote, WholeBisectionOnRealVerdicts) {
  // Kernels 0..8: those below the culprit behave like netns/dead, the rest
  // like netns/live (6.1's records); every verdict comes from kreg compare.
  const nlohmann::json dead = record("6.1.0-50-cloud-amd64", "netns__dead");
  const nlohmann::json live = record("6.1.0-50-cloud-amd64", "netns__live");
  const std::vector<std::string> metric = {"sysctl_ipv6_disable_ipv6_open"};
  for (size_t culprit = 1; culprit < 9; ++culprit) {
    for (int width : {1, 2}) {
      BisectSearch s(9);
      s.record(0, StepVerdict::Good);
      s.record(8, vote(compare_tries({dead}, {live}, metric, CompareSettings{}), metric, 1).verdict);
      ASSERT_EQ(s.verdicts().at(8), StepVerdict::Bad);
      while (!s.done())
        for (size_t p : s.next(width)) {
          const nlohmann::json& r = p < culprit ? dead : live;
          s.record(p, vote(compare_tries({dead}, {r}, metric, CompareSettings{}), metric, 1).verdict);
        }
      ASSERT_TRUE(s.found());
      EXPECT_EQ(s.first_bad(), culprit) << "width " << width;
    }
  }
}

TEST(BisectVote, JobMetricsAreTheOnesRealRecordsHold) {
  for (const char* job : {"netns__dead", "netns__live"}) {
    const nlohmann::json r = record("6.1.0-50-cloud-amd64", job);
    std::set<std::string> recorded;
    for (const auto& p : r["points"])
      for (const auto& [name, m] : p["metrics"].items()) recorded.insert(name);
    const std::vector<std::string> named =
        job_metric_names({{"job_id", job}, {"scenario", "netns"}, {"params", r["params"]}}, "v1");
    EXPECT_EQ(recorded, std::set<std::string>(named.begin(), named.end())) << job;
  }
  EXPECT_THROW(job_metric_names({{"scenario", "nosuch"}}, "v1"), KregError);
  auto has = [](const std::vector<std::string>& names, const std::string& m) {
    return std::find(names.begin(), names.end(), m) != names.end();
  };
  const nlohmann::json memcg = {{"scenario", "memcg-churn"}, {"params", nlohmann::json::object()}};
  EXPECT_TRUE(has(job_metric_names(memcg, "v2"), "root_cgroup_stat_read"));
  EXPECT_FALSE(has(job_metric_names(memcg, "v1"), "root_cgroup_stat_read"));  // cgroup.stat is v2's
  EXPECT_TRUE(has(job_metric_names(memcg, "v1"), "root_memory_numa_stat_read"));
  const nlohmann::json extra = {{"scenario", "netns"}, {"params", {{"sysctls", {"net/ipv4/tcp_mem"}}}}};
  EXPECT_TRUE(has(job_metric_names(extra, "v1"), "sysctl_net_ipv4_tcp_mem_open"));
}

TEST(BisectList, EndpointsAreCheckedAndCut) {
  std::vector<SequenceEntry> list;
  for (const char* v : {"6.1.0-5", "6.1.0-47", "6.1.0-50", "6.1.0-52", "6.1.0-57"}) list.push_back({v, v, {}});
  EXPECT_EQ(cut_to_endpoints(list, "", "").size(), 5u);
  std::vector<SequenceEntry> cut = cut_to_endpoints(list, "6.1.0-47", "6.1.0-52");
  ASSERT_EQ(cut.size(), 3u);
  EXPECT_EQ(cut.front().name, "6.1.0-47");
  EXPECT_EQ(select_entry(list, "6.1.0-5", "--good"), 0u);  // exact, not a prefix of 6.1.0-50
  EXPECT_THROW(select_entry(list, "6.1.0-99", "--good"), KregError);
  EXPECT_THROW(cut_to_endpoints(list, "6.1.0-57", "6.1.0-47"), KregError);  // swapped
  EXPECT_THROW(cut_to_endpoints(list, "6.1.0-50", "6.1.0-50"), KregError);  // one kernel
  EXPECT_THROW(cut_to_endpoints({list[0]}, "", ""), KregError);
  try {
    cut_to_endpoints(list, "6.1.0-57", "6.1.0-47");
  } catch (const KregError& e) {
    EXPECT_NE(std::string(e.what()).find("swapped"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kreg
