// The missing-feature rule: a job a kernel could not run (status "skipped"),
// with the kernel's own reason, grouped by reason. See findings.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "harness/findings/findings.hpp"
#include "harness/findings/format.hpp"

namespace kreg::findings {

std::vector<Finding> feature_findings(const RunView& view, const Settings& s) {
  // reason -> kernels and the jobs they skipped
  std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> by_reason;
  for (const auto& u : view.skipped) {
    auto& [kernels, jobs] = by_reason[u.reason];
    kernels.insert(u.kernel);
    jobs.insert(u.family + (u.mode.empty() ? "" : " " + u.mode));
  }
  std::vector<Finding> out;
  for (const auto& [reason, kj] : by_reason) {
    const auto& [kernels, jobs] = kj;
    if (s.differences_only && kernels.size() == view.kernels.size()) continue;
    std::vector<std::string> ks(kernels.begin(), kernels.end());
    std::sort(ks.begin(), ks.end(), version_less);
    std::vector<std::string> names;
    for (const auto& k : ks) names.push_back(view.short_names.at(k));
    // where the kernel ran the same family in another mode, say so: the pathology was measured there
    std::set<std::string> ran_elsewhere;
    for (const auto& u : view.skipped)
      if (reason == u.reason)
        for (const Line& l : view.lines)
          if (l.kernel == u.kernel && l.family == u.family && l.mode != u.mode && !l.mode.empty())
            ran_elsewhere.insert(u.family + " " + l.mode);
    std::string text = fmt::format("On {}, {} {} skipped ({})", and_list(names), and_list({jobs.begin(), jobs.end()}),
                                   jobs.size() == 1 ? "was" : "were", reason);
    if (!ran_elsewhere.empty())
      text += fmt::format("; {} ran there", and_list({ran_elsewhere.begin(), ran_elsewhere.end()}));
    Finding f;
    f.kind = Kind::MissingFeature;
    f.effect = 0;
    f.effect_text = fmt::format("{} skipped", jobs.size() * kernels.size() >= 2 ? "units" : "unit");
    f.sentence = text + ".";
    f.evidence.kernels = ks;
    f.evidence.job = fmt::format("{}", fmt::join(jobs, ", "));
    f.evidence.test = "the guest's feature probe and the job's skip reason (records' status \"skipped\")";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace kreg::findings
