#include "harness/bisect/bisect_log.hpp"

#include <fmt/format.h>

#include <cmath>

namespace kreg {

using nlohmann::json;

std::string format_latency_ns(double ns) {
  if (ns >= 1e9) return fmt::format("{:.3g} s", ns / 1e9);
  if (ns >= 1e6) return fmt::format("{:.3g} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.3g} us", ns / 1e3);
  return fmt::format("{:.3g} ns", ns);
}

namespace {

std::string cell(std::string s) {
  for (char& ch : s)
    if (ch == '|' || ch == '\n') ch = ch == '|' ? '/' : ' ';
  return s;
}

std::string values_text(const json& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + (v.is_number() ? format_latency_ns(v) : "-");
  return out.empty() ? "-" : out;
}

std::string job_text(const json& options) {
  const json suite = options.value("suite_effective", json::object());
  const json job = suite.value("jobs", json::array()).empty() ? json::object() : suite["jobs"][0];
  std::string targets;
  for (const auto& t : job.value("targets", json::array())) targets += (targets.empty() ? "" : "/") + t.dump();
  const json modes = suite.value("cgroup_modes", json::array());
  return fmt::format("`{}` (scenario {}, params {}, targets {}, {} samples per point), cgroup mode {}",
                     job.value("id", job.value("job_id", "?")), job.value("scenario", "?"),
                     job.value("params", json::object()).dump(), targets, job.value("samples", 0),
                     modes.empty() ? "-" : modes[0].get<std::string>());
}

std::string kernels_text(const json& doc) {
  const json entries = doc["sequence"].value("entries", json::array());
  if (entries.empty()) return "-";
  return fmt::format("{}: {} kernels, {} (good) ... {} (bad)", doc.value("kind", "?"), entries.size(),
                     entries.front().value("name", "?"), entries.back().value("name", "?"));
}

}  // namespace

std::string render_bisect_log(const json& doc) {
  const json options = doc.value("options", json::object());
  const json machine = doc.value("machine", json::object());
  const json result = doc.value("result", json::object());
  const json cmp = options.value("compare", json::object());
  const std::vector<std::string> metrics = doc.value("metrics_compared", std::vector<std::string>{});
  std::string md = fmt::format("# kreg bisect {}\n\n", doc.value("bisect_id", "?"));
  md += fmt::format("**{}**: {}\n\n", result.value("status", doc.value("status", "?")), result.value("message", ""));
  std::string command;
  for (const auto& a : options.value("command", std::vector<std::string>{}))
    command += (command.empty() ? "" : " ") + a;
  std::string metric_list;
  for (const auto& m : metrics) metric_list += (metric_list.empty() ? "" : ", ") + m;
  md += "| | |\n|---|---|\n";
  md += "| kernels | " + cell(kernels_text(doc)) + " |\n";
  md += "| job | " + cell(job_text(options)) + " |\n";
  md += "| metrics | " + (metric_list.empty() ? "-" : metric_list) + " |\n";
  md += fmt::format("| tries | {} boots per kernel; {} more of first bad and last good to confirm |\n",
                    options.value("tries", 0), options.value("confirm_tries", 0));
  md += fmt::format(
      "| verdict rules | kreg compare (threshold {}%, alpha {}, {} regressed point(s) or the slope) on every try "
      "against every try of the good endpoint; bad when more than half of the comparisons regress, good when more "
      "than half compare without one, else skip |\n",
      cmp.value("threshold_pct", 10.0), cmp.value("alpha", 0.01), cmp.value("min_points", 1));
  md +=
      fmt::format("| machine | {} ({}), {} vCPU per VM, {} host CPUs, {}; {} timings compare only with {} timings |\n",
                  machine.value("accelerator", "?"), cell(machine.value("accelerator_reason", "")),
                  machine.value("vcpus", 0), machine.value("host_cpus", 0), machine.value("qemu", "?"),
                  machine.value("accelerator", "?"), machine.value("accelerator", "?"));
  if (!command.empty()) md += "| command | `" + cell(command) + "` |\n";
  md += "\n## Steps\n\n";
  const std::string headline =
      metrics.size() == 1 ? metrics[0] + " at the largest point, per try" : "largest point, per try";
  md += "| # | round | phase | kernel | verdict | " + headline + " | evidence | obtain | run | wall |\n";
  md += "|---:|---:|---|---|---|---|---|---|---:|---:|\n";
  for (const auto& s : doc.value("steps", json::array())) {
    std::string vals;
    const json headline = s.value("headline", json::object());  // items() must not outlive it
    for (const auto& [metric, v] : headline.items())
      vals += (vals.empty() ? "" : "; ") + (metrics.size() == 1 ? "" : metric + ": ") + values_text(v);
    const json obtain = s.value("obtain", json::object());
    md += fmt::format(
        "| {} | {} | {} | {} | **{}** | {} | {} | {} {:.0f} s | {:.0f} s | {:.0f} s |\n", s.value("order", 0),
        s.value("round", 0), s.value("phase", ""), cell(s.value("kernel", "") + " (" + s.value("title", "") + ")"),
        s.value("verdict", "?"), cell(vals.empty() ? "-" : vals), cell(s["evidence"].value("summary", "")),
        obtain.value("how", "-"), obtain.value("seconds", 0.0), s.value("run_s", 0.0), s.value("wall_s", 0.0));
  }
  if (result.contains("first_bad")) {
    md += "\n## Answer\n\n";
    md += fmt::format("- first bad: **{}** ({})\n- last good: **{}** ({})\n", result["first_bad"].value("kernel", ""),
                      result["first_bad"].value("title", ""), result["last_good"].value("kernel", ""),
                      result["last_good"].value("title", ""));
    md += fmt::format(
        "- {} kernels in range ({} candidates for the first bad): {} kernels measured between the endpoints in {} "
        "round(s); a one-at-a-time bisection needs at most ceil(log2({})) = {} (ceil(log2 n) = {})\n",
        result.value("kernels_in_range", 0), result.value("kernels_in_range", 1) - 1, result.value("steps_taken", 0),
        result.value("rounds", 0), result.value("kernels_in_range", 1) - 1, result.value("ceil_log2_candidates", 0),
        result.value("ceil_log2_n", 0));
    for (const auto& c : result.value("contradictions", json::array()))
      md += "- contradiction (noise, or a regression fixed again): " + c.get<std::string>() + "\n";
  }
  if (result.contains("confirmation")) {
    const json conf = result["confirmation"];
    md += fmt::format("\n## Confirmation ({} more boots each)\n\n", conf.value("tries", 0));
    md += "| kernel | metric | per try | median | verdict |\n|---|---|---|---:|---|\n";
    for (const char* who : {"last_good", "first_bad", "revert"}) {
      if (!conf.contains(who) || !conf[who].contains("distribution")) continue;
      const json side = conf[who];
      std::string verdict = side["vs_good_endpoint"].value("summary", "");
      if (side.contains("vs_last_good")) verdict += "; against last good: " + side["vs_last_good"].value("summary", "");
      for (const auto& [metric, d] : side["distribution"].items())
        md += fmt::format("| {} {} | {} | {} | {} | {} |\n", who, side.value("kernel", std::string()), metric,
                          values_text(d["per_try_ns"]), format_latency_ns(d.value("median_ns", 0.0)), cell(verdict));
    }
    if (conf.contains("revert") && !conf["revert"].value("applied", true))
      md += "\nrevert: not measured: " + conf["revert"].value("why", "") + "\n";
    md += fmt::format("\nThe finding {}.{}\n", conf.value("holds", false) ? "holds" : "does not hold",
                      conf.value("problems", "").empty() ? "" : " " + conf.value("problems", ""));
  }
  md +=
      "\nEvery step's boots are a kreg run in `runs/<step>/` (`kreg compare`, `kreg report` read them); the plot is "
      "`bisect.png`.\n";
  return md;
}

}  // namespace kreg
