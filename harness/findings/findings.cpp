#include "harness/findings/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace kreg::findings {

Findings run_findings(const std::vector<RecordRef>& records, const std::string& subject, const Settings& s) {
  RunView view = build_view(records);
  Findings f;
  f.subject = subject;
  f.kernels = view.kernels;
  f.accelerators = view.accelerators;
  f.accelerator_note = accelerator_note(view.accelerators);
  for (auto* rule : {&held_findings, &slope_findings, &offset_findings, &memory_findings, &feature_findings})
    for (auto& x : (*rule)(view, s)) f.items.push_back(std::move(x));
  rank(f.items);
  size_t series = 0, untestable = 0;
  for (const Line& line : view.lines)
    for (const auto& [name, points] : line.metrics) {
      ++series;
      untestable += std::none_of(points.begin(), points.end(),
                                 [](const Dist& d) { return d.sd.has_value() || d.raw.size() >= 2; });
    }
  if (untestable > 0)
    f.notes.push_back(fmt::format(
        "{} of {} latency series record no spread (no standard deviation, no raw samples): no test can run on them, "
        "so no latency finding comes from them",
        untestable, series));
  if (!view.failed.empty()) {
    std::map<std::string, std::vector<std::string>> by_reason;
    for (const auto& u : view.failed)
      by_reason[u.reason.empty() ? "no reason recorded" : u.reason].push_back(
          u.family + (u.mode.empty() ? "" : " " + u.mode) + " on " + u.name);
    for (const auto& [reason, units] : by_reason)
      f.notes.push_back(fmt::format("{} failed ({}); no finding uses {}", fmt::join(units, ", "), reason,
                                    units.size() == 1 ? "it" : "them"));
  }
  return f;
}

}  // namespace kreg::findings
