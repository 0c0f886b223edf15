// A finding: one sentence, with its numbers, that says what differs between
// kernels or grows with the object count, and the evidence behind it (the
// metric, the points, the test with its p-value or interval, the plot).
// Findings are ranked by the size of their effect, a dimensionless factor.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kreg::findings {

enum class Kind {
  Regression,      // kreg compare: a metric got worse (slope or points)
  Improvement,     // kreg compare: a metric got better
  Held,            // objects the kernel keeps after they were destroyed (dying memcgs, dead netns)
  Slope,           // latency grows with the object count
  Offset,          // one kernel slower than another at every shared count
  Threshold,       // object count at which a growing latency reaches 1 / 10 / 100 ms
  Memory,          // kernel memory per object held
  MissingFeature,  // a kernel lacks what a job needs; what it skipped
};
const char* kind_name(Kind kind);

struct Evidence {
  std::string job;                   // job family as the report names it (memcg-churn/tmpfs-4096)
  std::string mode;                  // cgroup mode(s) ("v2", "v1, v2") or ""
  std::vector<std::string> metrics;  // the first is the one whose numbers the sentence gives
  std::vector<std::string> kernels;  // full kernel labels involved
  std::vector<double> points;        // the object counts the numbers come from
  std::string object;                // what the counts count ("memcgs churned")
  std::string test;                  // e.g. "Welch's t, one-sided, largest vs smallest count"
  std::optional<double> p;           // the largest p-value behind the sentence, if a test gave one
  std::string interval;              // e.g. "slope 99% CI [0.33, 0.37] us per netns"
  std::string plot;                  // the report's PNG that shows it ("" if none)
};

struct Finding {
  Kind kind = Kind::Slope;
  double effect = 1;        // ranking key: a factor >= 1 (times slower, times more held); 0 for facts
  std::string effect_text;  // how the effect reads: "60x", "10,000 vs 1"
  std::string sentence;     // one sentence with its numbers
  Evidence evidence;
};

struct Findings {
  std::string subject;               // "run default-a", "compare A -> B"
  std::vector<std::string> kernels;  // full labels, in version order
  std::vector<std::string> accelerators;
  std::string accelerator_note;    // says TCG when it was TCG
  std::vector<Finding> items;      // ranked, largest effect first
  std::vector<std::string> notes;  // failed units and what no rule looked at
};

// Sorts by effect (largest first), then by kind; stable for equal keys.
void rank(std::vector<Finding>& items);

// The sentence every findings list carries about the accelerator(s).
std::string accelerator_note(const std::vector<std::string>& accelerators);

// Terminal: a numbered list, each finding with an indented evidence line.
// limit > 0 prints that many and says how many more there are.
std::string render_text(const Findings& f, size_t limit = 0);
// Markdown: a numbered list (capacity.md, compare's summary.md).
std::string render_markdown(const Findings& f, size_t limit = 0);
std::string evidence_text(const Evidence& e);
nlohmann::json to_json(const Findings& f);

}  // namespace kreg::findings
