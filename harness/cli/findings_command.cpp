#include "harness/cli/findings_command.hpp"

#include <cstdio>

#include "harness/compare/compare_command.hpp"
#include "harness/findings/findings.hpp"
#include "vm/common/error.hpp"

namespace kreg {

findings::Findings findings_of(const FindingsOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 1)) throw KregError("--alpha must be between 0 and 1, e.g. 0.01");
  if (!(o.growth_pct >= 0) || !(o.offset_pct >= 0))
    throw KregError("--growth and --offset are percentages >= 0, e.g. 25");
  CompareSide side = load_compare_side(o.run);  // the same inputs kreg compare takes for one side
  std::vector<findings::RecordRef> refs;
  for (const auto& r : side.records) refs.push_back({r.kernel, &r.record});
  findings::Settings s;
  s.alpha = o.alpha;
  s.growth_pct = o.growth_pct;
  s.offset_pct = o.offset_pct;
  std::string subject = side.single_record ? "record " + side.records.front().path
                                           : "run " + (side.run_id.empty() ? side.run_dir : side.run_id);
  if (!side.kernel_selector.empty()) subject += " (kernel " + side.kernels().front() + ")";
  return findings::run_findings(refs, subject, s);
}

int findings_command(const FindingsOptions& o) {
  findings::Findings f = findings_of(o);
  std::string out = o.json ? findings::to_json(f).dump(1) + "\n" : findings::render_text(f, o.limit);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace kreg
