// A run (or one side of a comparison) as the findings rules see it: its
// records grouped into lines, one per job family, cgroup mode and kernel,
// repetitions pooled. A family is a job id without its cgroup mode and
// repetition (memcg-churn/tmpfs-4096), exactly as plots/families.py names it,
// so a finding can name the plot that shows it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include "vm/common/version_order.hpp"

#include "harness/findings/record_series.hpp"
#include "scenarios/generator_table.hpp"

namespace kreg::findings {

// A record and the kernel label it belongs to (the run's jobs/<kernel>/).
struct RecordRef {
  std::string kernel;
  const nlohmann::json* record = nullptr;
};

struct Line {
  std::string family;        // memcg-churn/tmpfs-4096
  std::string scenario_key;  // the scenario family: memcg-churn, netns/live, netns/dead, pause-loop, ...
  const ScenarioFamily* scenario = nullptr;  // its row in the generator table (null: a scenario it lacks)
  std::string mode;                          // cgroup mode where the job has one, else ""
  std::string kernel;                        // full label
  std::string name;                          // short label for sentences ("6.1.0-57")
  std::string object;                        // what x counts, from the record ("memcgs")
  std::string accelerator;
  std::vector<const nlohmann::json*> records;            // repetitions, each with points
  std::map<std::string, std::vector<Dist>> metrics;      // latency metric -> pooled series (calibration left out)
  std::map<std::string, std::vector<Dist>> calibration;  // timer_overhead: how loaded the host was at each point

  std::string label() const { return mode.empty() ? name : name + " " + mode; }
  // Every point of every repetition, sorted by objects created.
  std::vector<const nlohmann::json*> points() const;
};

// A job a kernel could not run: skipped (a missing feature) or failed.
struct UnitProblem {
  std::string kernel, name, family, mode, status, reason;
};

struct RunView {
  std::vector<Line> lines;  // by family, mode, kernel (version order)
  std::vector<UnitProblem> skipped, failed;
  std::vector<std::string> kernels;  // full labels, version order
  std::vector<std::string> accelerators;
  std::map<std::string, std::string> short_names;  // full label -> name in sentences
};

RunView build_view(const std::vector<RecordRef>& records);

// A record's job family: its job id without the repetition and the cgroup mode part.
std::string family_of(const nlohmann::json& record);

// What a family's x counts, for sentences: the generator table's x label without its
// parenthesis ("memcgs churned", "live network namespaces").
std::string x_words(const Line& line);
// One object, after "per": the generator's object in the singular ("memcg", "netns", "pod").
std::string x_word_one(const Line& line);
// "dying memcgs" -> "dying memcg", "negative dentries" -> "negative dentry"; "netns" stays.
std::string singular(const std::string& words);

}  // namespace kreg::findings
