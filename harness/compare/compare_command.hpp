// `kreg compare BASELINE NEW`: is NEW worse than BASELINE, metric by metric?
//
// BASELINE and NEW are each a run directory (results/<run-id>), a run and one
// of its kernels (results/<run-id>:6.1, a label or a version prefix), or one
// job record file. Records are paired by kernel (when both sides hold several),
// then by job id, cgroup mode and repetition; two record files are paired as
// given. For every latency metric both records have (point["metrics"]):
//
//  - slope: least squares of the median against the objects created, on each
//    side's points within the shared range of counts, with a (1 - alpha)
//    Student-t interval. Regression = the intervals do not overlap (NEW's lower
//    bound above BASELINE's upper) AND the slope is worse by more than the
//    threshold relative to BASELINE's slope AND the extra latency that slope
//    difference predicts across the shared range exceeds the threshold times
//    BASELINE's fitted latency at the largest shared count. The last condition
//    is what keeps a near-zero baseline slope (a flat series, where any
//    increase is "infinitely" worse in relative terms) from flagging noise.
//  - each shared sweep point (same target): a one-sided test of the two
//    distributions, Mann-Whitney U on raw samples when the record holds them
//    (a "samples_ns" array beside the metric's summary, or Google Benchmark's
//    per-repetition entries in the point's gbench), else Welch's t from mean,
//    standard deviation and n (what kreg records today: gbench's stddev
//    aggregate); the non-overlap rule (NEW's median above BASELINE's p90); and
//    the practical threshold (median worse by more than the threshold, and by
//    more than the threshold times the rise of the timer's own cost between
//    the two points: a loaded host inflates every timed sample alike, and
//    timer_overhead, the calibration figure, measures that). A point
//    regresses only if all three hold.
//
// A metric regresses if its slope or enough of its points regress: by default
// most of its shared points, and at least two (one noisy point never makes a
// regression); --min-points N asks for N. Exit 0: no regression; 1: a regression; 2: nothing could be
// compared, or the runs used different accelerators (KVM vs TCG) without
// --allow-accelerator-mismatch.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/findings/finding.hpp"
#include "stats/linear_fit.hpp"

namespace kreg {

// Regressed points that make a metric regress without its slope: 0 = most of
// its shared points and at least two (the default). A fixed 1 flagged single
// noisy points of TCG's heavy tails, a fixed 2 whole stretches of a loaded
// host; the figures behind the default are in docs/compare-false-positives.md.
inline constexpr size_t kMajorityOfPoints = 0;

struct CompareSettings {
  double threshold_pct = 10;                        // practical threshold, percent
  std::map<std::string, double> threshold_for;      // per metric name
  double alpha = 0.01;                              // tests' level; slope intervals are (1 - alpha)
  size_t min_samples = 10;                          // per side and point, for a distribution test
  size_t min_regressed_points = kMajorityOfPoints;  // see kMajorityOfPoints
  double threshold_for_metric(const std::string& metric) const;
  size_t points_needed(size_t shared_points) const;  // regressed points that make a metric regress
  std::string min_points_text() const;               // "most of the shared points (at least 2)" or "N"
};

// A record as loaded, with the kernel it belongs to.
struct LoadedRecord {
  std::string path;
  std::string kernel;  // kernel label (the jobs/<kernel>/ directory)
  nlohmann::json record;
};

// One side of a comparison.
struct CompareSide {
  std::string spec;     // as given on the command line
  std::string run_dir;  // the run the records come from ("" when a record file lies outside a run)
  std::string run_id;
  std::string kernel_selector;  // the part after ':' ("" for all kernels)
  bool single_record = false;
  std::vector<LoadedRecord> records;
  std::vector<std::string> kernels() const;  // distinct labels, sorted
};

// Parses RUN_DIR, RUN_DIR:KERNEL or a record file and loads the records.
// Throws KregError (exit 2) naming the spec when it is none of these, holds no
// record, or KERNEL matches no kernel (or several) of the run.
CompareSide load_compare_side(const std::string& spec);

struct PointComparison {
  double target = 0, x_base = 0, x_new = 0;  // sweep target; objects created on each side
  double base_median = 0, new_median = 0, base_p90 = 0, new_p90 = 0;
  double base_samples = 0, new_samples = 0;
  std::string test;      // "mann-whitney" | "welch" | "" (untested)
  std::string untested;  // why there is no test
  double p_worse = 1;    // one-sided p-value in the worse direction
  double p_better = 1;
  double change_pct = 0;   // median change in percent, positive = worse
  double host_worse = 1;   // timer_overhead new / baseline at this point (>= 1; 1 when not recorded)
  double host_better = 1;  // timer_overhead baseline / new (>= 1)
  bool significant = false, non_overlap = false, practical = false;
  bool regressed = false, improved = false;
};

struct SlopeComparison {
  bool compared = false;
  std::string why_not;  // when not compared
  stats::LinearFit base, cand;
  double x_lo = 0, x_hi = 0;    // the shared range of objects created
  double base_level = 0;        // BASELINE's fitted latency at x_hi
  double extra = 0;             // (slope difference) * (x_hi - x_lo), positive = worse
  double slope_change_pct = 0;  // slope difference relative to |BASELINE slope|, positive = worse
  bool significant = false, practical = false, regressed = false, improved = false;
};

enum class Verdict { Ok, Improved, Regression, NotCompared };
const char* verdict_name(Verdict v);

struct MetricComparison {
  std::string kernel_base, kernel_new;
  std::string job;      // job id, with "(v2)" / "#r2" where the id does not say it
  std::string job_new;  // the new side's job when two record files of different jobs are compared
  std::string family;   // the job family (plots name their files by it)
  std::string metric;
  std::string unit = "ns", worse = "higher";
  double threshold_pct = 10;
  Verdict verdict = Verdict::NotCompared;
  std::string reason;  // not compared: why; regression/improvement: which criteria
  SlopeComparison slope;
  std::vector<PointComparison> points;
  int points_tested = 0, points_regressed = 0, points_improved = 0;
  std::string test;  // the point test used, for the method note
};

struct CompareResult {
  std::string baseline_spec, new_spec;
  std::string baseline_desc, new_desc;  // run, kernels, accelerator
  bool multi_kernel = false;            // rows carry a kernel
  CompareSettings settings;
  std::vector<std::string> notes;
  std::vector<MetricComparison> metrics;
  findings::Findings findings;  // what changed, ranked: regressions, improvements, objects held, features

  int count(Verdict v) const;
  int exit_code() const;                        // 1 regression, 0 compared without one, 2 nothing compared
  std::string nothing_compared_reason() const;  // one line, for exit 2
};

// Every latency metric of two records of the same job (or two jobs the user
// paired): the core of compare, no I/O.
std::vector<MetricComparison> compare_records(const nlohmann::json& base, const nlohmann::json& cand,
                                              const CompareSettings& settings);

// Pairs the sides' records and compares them. Throws KregError (exit 2) when
// paired records ran under different accelerators, unless allowed.
CompareResult compare_sides(const CompareSide& base, const CompareSide& cand, const CompareSettings& settings,
                            bool allow_accelerator_mismatch);

// The findings of a comparison: each regression and improvement as a sentence
// with its evidence, plus what differs between the paired records' objects
// held, kernel memory per object and skipped jobs. `pairs`: the paired records
// per kernel pair (baseline kernel, new kernel).
findings::Findings compare_findings(
    const CompareResult& result,
    const std::vector<std::pair<std::vector<const LoadedRecord*>, std::vector<const LoadedRecord*>>>& pairs);

// compare.json: the settings, every metric's verdict with its slope and points,
// and the findings, for dashboards.
nlohmann::json compare_json(const CompareResult& result);

struct CompareOptions {
  std::string baseline, candidate;
  double threshold_pct = 10;
  std::vector<std::string> threshold_for;  // METRIC=PCT
  double alpha = 0.01;
  std::string min_points = "majority";  // "majority" or N: regressed points that make a metric regress
  bool allow_accelerator_mismatch = false;
  std::string junit, markdown, json;  // default: <new run>/compare/junit.xml, summary.md, compare.json
};

// Prints the table, writes Markdown and JUnit XML; returns 0 or 1, throws
// KregError (exit 2) when nothing could be compared (after writing the files).
int compare_command(const CompareOptions& options);

}  // namespace kreg
