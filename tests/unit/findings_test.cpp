// The findings engine (harness/findings/) on real records (tests/fixtures/runs/:
// a real default-suite run under TCG, see the READMEs there) and on synthetic
// series of exactly known shape: what it states, what it must not state, and
// the numbers in its sentences against independent arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "harness/compare/compare_command.hpp"
#include "harness/findings/findings.hpp"
#include "harness/findings/format.hpp"

namespace kreg {
namespace {

using findings::Finding;
using findings::Kind;

const std::string kFixtures = std::string(KREG_SOURCE_DIR) + "/tests/fixtures/runs/";

struct Loaded {
  CompareSide side;
  findings::Findings f;
};

Loaded run_findings_of(const std::string& run, findings::Settings s = {}) {
  Loaded l{load_compare_side(kFixtures + run), {}};
  std::vector<findings::RecordRef> refs;
  for (const auto& r : l.side.records) refs.push_back({r.kernel, &r.record});
  l.f = findings::run_findings(refs, "run " + run, s);
  return l;
}

std::vector<const Finding*> of_kind(const findings::Findings& f, Kind k) {
  std::vector<const Finding*> out;
  for (const auto& x : f.items)
    if (x.kind == k) out.push_back(&x);
  return out;
}

bool mentions(const Finding& f, const std::string& metric) {
  const auto& m = f.evidence.metrics;
  return std::find(m.begin(), m.end(), metric) != m.end();
}

TEST(Findings, LiveNetnsGrowOnEveryKernelDeadNetnsDoNot) {
  Loaded l = run_findings_of("default-4k-netns");
  auto slopes = of_kind(l.f, Kind::Slope);
  ASSERT_FALSE(slopes.empty());
  for (const Finding* f : slopes) {
    EXPECT_EQ(f->evidence.job, "netns/live") << f->sentence;  // dead netns are pruned: nothing grows
    // the ipv4 control is in no child netns: it must never be said to grow
    EXPECT_FALSE(mentions(*f, "sysctl_ipv4_forwarding_open")) << f->sentence;
    EXPECT_FALSE(mentions(*f, "sysctl_ipv4_forwarding_stat")) << f->sentence;
  }
  // ipv6 and core sysctl open/stat grow on all three kernels: one finding, four metrics
  ASSERT_EQ(slopes.size(), 1u);
  const Finding& s = *slopes[0];
  EXPECT_EQ(s.evidence.metrics.size(), 4u);
  EXPECT_EQ(s.evidence.kernels.size(), 3u);
  EXPECT_NE(s.sentence.find("on every kernel"), std::string::npos) << s.sentence;
  EXPECT_NE(s.sentence.find("Under TCG"), std::string::npos);
  EXPECT_GT(s.effect, 20);  // 6.1's somaxconn stat: 8.7 us -> 375 us at 1,000 live netns
  ASSERT_TRUE(s.evidence.p.has_value());
  EXPECT_LT(*s.evidence.p, 1e-10);
  EXPECT_EQ(s.evidence.plot, "latency__netns-live__" + s.evidence.metrics[0] + ".png");
  for (const auto& f : l.f.items)
    for (const auto& m : f.evidence.metrics) EXPECT_NE(m, "timer_overhead");
  EXPECT_NE(l.f.accelerator_note.find("TCG"), std::string::npos);
}

TEST(Findings, ThresholdIsTheFitExtrapolated) {
  Loaded l = run_findings_of("default-4k-netns");
  auto thresholds = of_kind(l.f, Kind::Threshold);
  ASSERT_EQ(thresholds.size(), 1u);
  const Finding& t = *thresholds[0];
  ASSERT_EQ(t.evidence.metrics.size(), 1u);
  const std::string metric = t.evidence.metrics[0];
  const std::string kernel = t.evidence.kernels.at(0);
  // Independent least squares of that kernel's medians: objects to 1 ms.
  std::vector<double> x, y;
  for (const auto& r : l.side.records)
    if (r.kernel == kernel && r.record["job_id"] == "netns/live")
      for (const auto& p : r.record["points"]) {
        x.push_back(p["created"]);
        y.push_back(p["metrics"][metric]["median_ns"]);
      }
  ASSERT_EQ(x.size(), 4u);
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / x.size(), my += y[i] / y.size();
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  double b = sxy / sxx, a = my - b * mx;
  double count = (1e6 - a) / b;
  EXPECT_GT(count, 1000);  // beyond the 1,000 measured: extrapolated, and said so
  EXPECT_NE(t.sentence.find("would reach 1 ms at ~" + findings::fmt_count(count)), std::string::npos) << t.sentence;
  EXPECT_NE(t.sentence.find("beyond the 1,000 measured"), std::string::npos) << t.sentence;
  // it ranks right after the growth it extrapolates
  auto at = std::find_if(l.f.items.begin(), l.f.items.end(), [](auto& f) { return f.kind == Kind::Threshold; });
  ASSERT_NE(at, l.f.items.begin());
  EXPECT_EQ((at - 1)->kind, Kind::Slope);
}

TEST(Findings, SevenThreeKeepsNoDyingMemcgsAndSkipsV1) {
  Loaded l = run_findings_of("report-default-4k");
  auto held = of_kind(l.f, Kind::Held);
  ASSERT_GE(held.size(), 1u);
  const Finding& h = *held[0];
  EXPECT_EQ(h.evidence.job, "memcg-churn/tmpfs-4096");
  EXPECT_EQ(h.evidence.plot, "dying_vs_churned.png");
  // 7.3 keeps 2 of 2,000 (v2; its v1 is skipped), 5.10 keeps all 2,000 in both modes
  EXPECT_NE(h.sentence.find("7.3.4+deb13 (v2) keeps 2 dying memcgs after 2,000 memcgs churned"), std::string::npos)
      << h.sentence;
  EXPECT_NE(h.sentence.find("where 5.10.0-32 (v1, v2) keeps 2,000"), std::string::npos) << h.sentence;
  EXPECT_NEAR(h.effect, 2001.0 / 3.0, 1e-9);
  // held is the largest effect of this run
  EXPECT_EQ(&l.f.items.front(), held[0]);

  auto missing = of_kind(l.f, Kind::MissingFeature);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0]->sentence.find("On 7.3.4+deb13, memcg-churn/tmpfs-4096 v1 and pause-loop/fail-fast v1 were "
                                      "skipped (cgroup v1 memory controller unavailable"),
            std::string::npos)
      << missing[0]->sentence;
  EXPECT_NE(missing[0]->sentence.find("memcg-churn/tmpfs-4096 v2 ran there"), std::string::npos);
  EXPECT_EQ(&l.f.items.back(), missing[0]);  // facts without a size come last
  // the failed pause-loop v2 units are a note, not a finding; so is what no test could run on (this
  // fixture dropped gbench's stddev aggregates: no spread, so no latency finding at all)
  ASSERT_EQ(l.f.notes.size(), 2u);
  EXPECT_EQ(l.f.notes[0].rfind("52 of 52 latency series record no spread", 0), 0u) << l.f.notes[0];
  EXPECT_NE(l.f.notes[1].find("pause-loop/fail-fast v2 on 5.10.0-32"), std::string::npos) << l.f.notes[1];
  EXPECT_TRUE(of_kind(l.f, Kind::Slope).empty());

  auto memory = of_kind(l.f, Kind::Memory);
  bool dying =
      std::any_of(memory.begin(), memory.end(), [](auto* f) { return f->evidence.job == "memcg-churn/tmpfs-4096"; });
  EXPECT_TRUE(dying);
  for (const auto* f : memory)
    if (f->evidence.job == "memcg-churn/tmpfs-4096") {  // 7.3 holds nothing to divide its memory among
      for (const auto& k : f->evidence.kernels) EXPECT_NE(k, "7.3.4+deb13-cloud-amd64") << f->sentence;
    }
  // ranked: effects never grow down the list
  for (size_t i = 1; i < l.f.items.size(); ++i) EXPECT_GE(l.f.items[i - 1].effect, l.f.items[i].effect);
}

// A synthetic record: one metric, medians as given at 0, 1000, 2000, 3000 objects,
// spread (sd, p90) proportional to the median.
nlohmann::json synthetic(const std::string& kernel, const std::vector<double>& medians, double spread = 0.05,
                         const std::vector<double>& timer = {}) {
  nlohmann::json r = {{"schema", "kreg.job"},
                      {"job_id", "netns/live"},
                      {"status", "ok"},
                      {"object", "netns"},
                      {"job", {{"scenario", "netns"}, {"params", {{"mode", "live"}}}}},
                      {"machine", {{"accelerator", "tcg"}}},
                      {"unit", {{"kernel_label", kernel}, {"cgroup_mode", ""}}},
                      {"points", nlohmann::json::array()}};
  for (size_t i = 0; i < medians.size(); ++i) {
    double m = medians[i], x = 1000.0 * i;
    r["points"].push_back({{"target", x},
                           {"created", x},
                           {"metrics",
                            {{"x_open",
                              {{"median_ns", m},
                               {"p90_ns", m * (1 + 2 * spread)},
                               {"mean_ns", m},
                               {"stddev_ns", m * spread},
                               {"samples", 100}}}}}});
    if (i < timer.size())
      r["points"].back()["metrics"]["timer_overhead"] = {{"median_ns", timer[i]},
                                                         {"p90_ns", timer[i] * 1.5},
                                                         {"mean_ns", timer[i]},
                                                         {"stddev_ns", 10},
                                                         {"samples", 100}};
  }
  return r;
}

findings::Findings of(const std::vector<nlohmann::json>& records, findings::Settings s = {}) {
  std::vector<findings::RecordRef> refs;
  for (const auto& r : records) refs.push_back({r["unit"]["kernel_label"], &r});
  return findings::run_findings(refs, "synthetic", s);
}

TEST(Findings, OneNoisyPointIsNoGrowth) {
  // TCG's heavy tails: one point 1.7x the others (as 5.10's v2 root_memory_stat_read at 500 in the
  // real default-4k run). The last-vs-first test alone would pass; the slope interval does not.
  auto f = of({synthetic("a-1", {46000, 46500, 47000, 80000})});
  EXPECT_TRUE(of_kind(f, Kind::Slope).empty()) << findings::render_text(f);
  // A real linear growth of the same size is one.
  auto g = of({synthetic("a-1", {46000, 57000, 68500, 80000})});
  ASSERT_EQ(of_kind(g, Kind::Slope).size(), 1u) << findings::render_text(g);
  EXPECT_NE(g.items[0].sentence.find("46 us -> 80 us from 0 to 3,000 on a-1 (1.74x"), std::string::npos)
      << g.items[0].sentence;
}

TEST(Findings, HostContentionIsNoGrowth) {
  // As pause-loop v2 on 6.12 in a real run on a loaded host: every timed path 2x slower at the two
  // largest counts, the ipv4 control too, and the timer's own cost 2x as well. Not the kernel's doing.
  auto loaded = of({synthetic("a-1", {25000, 25500, 50000, 50000}, 0.05, {200, 200, 400, 400})});
  EXPECT_TRUE(of_kind(loaded, Kind::Slope).empty()) << findings::render_text(loaded);
  // The same medians with a steady timer are a growth.
  auto steady = of({synthetic("a-1", {25000, 25500, 50000, 50000}, 0.05, {200, 200, 200, 210})});
  EXPECT_EQ(of_kind(steady, Kind::Slope).size(), 1u) << findings::render_text(steady);
  // A growth far beyond the timer's rise still is one (live netns on a loaded host: 30x while the timer 1.3x).
  auto real = of({synthetic("a-1", {29000, 195000, 890000, 2220000}, 0.1, {300, 300, 400, 300})});
  EXPECT_EQ(of_kind(real, Kind::Slope).size(), 1u) << findings::render_text(real);
  for (const auto& f : real.items)
    for (const auto& m : f.evidence.metrics) EXPECT_NE(m, "timer_overhead");  // never stated itself
}

TEST(Findings, SlopeOnSomeKernelsFlatOnOthers) {
  auto f = of({synthetic("k-1", {20000, 20200, 19900, 20100}), synthetic("k-2", {20000, 420000, 820000, 1220000})});
  auto slopes = of_kind(f, Kind::Slope);
  ASSERT_EQ(slopes.size(), 1u);
  EXPECT_NE(slopes[0]->sentence.find("grows with live network namespaces on k-2 only: 20 us -> 1.22 ms from 0 to "
                                     "3,000 on k-2 (61x, +400 ns per netns"),
            std::string::npos)
      << slopes[0]->sentence;
  EXPECT_NE(slopes[0]->sentence.find("while k-1 shows no such growth (1.00x"), std::string::npos)
      << slopes[0]->sentence;
  EXPECT_EQ(slopes[0]->effect, 61);
  // 1 ms at (1e6 - 20000) / 400 = 2,450 live netns: between the measured 2,000 and 3,000
  auto thresholds = of_kind(f, Kind::Threshold);
  ASSERT_EQ(thresholds.size(), 1u);
  EXPECT_NE(thresholds[0]->sentence.find("reaches 1 ms at ~2,450 live network namespaces on k-2"), std::string::npos)
      << thresholds[0]->sentence;
  EXPECT_NE(thresholds[0]->sentence.find("(linear interpolation: measured 820 us at 2,000 and 1.22 ms at 3,000)"),
            std::string::npos)
      << thresholds[0]->sentence;
  // 10 ms is beyond the sweep: (1e7 - 20000) / 400 = 24,950 by the fit, the slope interval above 0
  EXPECT_NE(thresholds[0]->sentence.find("10 ms at ~24,950 on k-2 ("), std::string::npos) << thresholds[0]->sentence;
  EXPECT_NE(thresholds[0]->sentence.find("8.3x beyond the 3,000 measured"), std::string::npos);
  // k-2 is slower at 1000-3000 but not at 0: that is its slope, not an offset
  EXPECT_TRUE(of_kind(f, Kind::Offset).empty());
}

TEST(Findings, OffsetAtEveryCountAndNotBelowTheThreshold) {
  auto f = of({synthetic("k-1", {20000, 20100, 19900, 20000}), synthetic("k-2", {30000, 30100, 29900, 30000})});
  auto offsets = of_kind(f, Kind::Offset);
  ASSERT_EQ(offsets.size(), 1u) << findings::render_text(f);
  EXPECT_NE(offsets[0]->sentence.find("takes 1.50x as long on k-2 as on k-1 (at every one of 4 shared counts"),
            std::string::npos)
      << offsets[0]->sentence;
  // 15% apart is below the 25% an offset needs: nothing to state
  auto g = of({synthetic("k-1", {20000, 20100, 19900, 20000}), synthetic("k-2", {23000, 23100, 22900, 23000})});
  EXPECT_TRUE(g.items.empty()) << findings::render_text(g);
  // ... unless asked for 10%
  findings::Settings s;
  s.offset_pct = 10;
  EXPECT_EQ(
      of_kind(of({synthetic("k-1", {20000, 20100, 19900, 20000}), synthetic("k-2", {23000, 23100, 22900, 23000})}, s),
              Kind::Offset)
          .size(),
      1u);
}

TEST(Findings, FormatsAndPlotNames) {
  EXPECT_EQ(findings::fmt_count(10000), "10,000");
  EXPECT_EQ(findings::fmt_count(24937.4), "24,900");
  EXPECT_EQ(findings::fmt_count(1029.3), "1,030");  // fitted: three figures
  EXPECT_EQ(findings::fmt_count(1029), "1,029");    // counted: exact
  EXPECT_EQ(findings::fmt_ns(16300), "16.3 us");
  EXPECT_EQ(findings::fmt_factor(61), "61x");
  EXPECT_EQ(findings::fmt_factor(1.5), "1.50x");
  // plots/families.py's slug: the report's file names
  EXPECT_EQ(findings::latency_plot("memcg-churn/tmpfs-4096", "root_memory_stat_read"),
            "latency__memcg-churn-tmpfs-4096__root_memory_stat_read.png");
}

}  // namespace
}  // namespace kreg
