#include "harness/findings/finding.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "harness/findings/format.hpp"

namespace kreg::findings {

using nlohmann::json;

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Regression:
      return "regression";
    case Kind::Improvement:
      return "improvement";
    case Kind::Held:
      return "held";
    case Kind::Slope:
      return "slope";
    case Kind::Offset:
      return "offset";
    case Kind::Threshold:
      return "threshold";
    case Kind::Memory:
      return "memory";
    case Kind::MissingFeature:
      return "missing-feature";
  }
  return "?";
}

void rank(std::vector<Finding>& items) {
  std::stable_sort(items.begin(), items.end(), [](const Finding& a, const Finding& b) {
    if (a.effect != b.effect) return a.effect > b.effect;
    return static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
}

std::string accelerator_note(const std::vector<std::string>& accelerators) {
  bool tcg = std::find(accelerators.begin(), accelerators.end(), "tcg") != accelerators.end();
  if (tcg && accelerators.size() > 1)
    return "Measured partly under TCG (QEMU's emulated CPU): TCG timings compare only with TCG timings.";
  if (tcg)
    return "Measured under TCG (QEMU's emulated CPU): timings compare only with TCG timings, never with KVM or "
           "bare metal.";
  std::string names;
  for (const auto& a : accelerators) names += (names.empty() ? "" : "/") + a;
  return "Measured under " + (names.empty() ? std::string("an unknown accelerator") : names) +
         ": timings do not compare with a TCG run's.";
}

std::string evidence_text(const Evidence& e) {
  std::vector<std::string> parts;
  if (!e.metrics.empty()) {
    std::string m = e.metrics.front();
    if (e.metrics.size() > 1) m += fmt::format(" (+{} more)", e.metrics.size() - 1);
    parts.push_back("metric " + m);
  }
  if (!e.job.empty()) parts.push_back("job " + e.job + (e.mode.empty() ? "" : " " + e.mode));
  if (!e.points.empty()) {
    std::vector<std::string> counts;
    for (double x : e.points) counts.push_back(fmt_count(x));
    std::string pts = "points " + fmt::format("{}", fmt::join(counts, ", "));
    if (!e.object.empty()) pts += " " + e.object;
    parts.push_back(pts);
  }
  if (!e.test.empty()) parts.push_back(e.test);
  if (e.p) parts.push_back("largest " + fmt_p(*e.p));
  if (!e.interval.empty()) parts.push_back(e.interval);
  if (!e.plot.empty()) parts.push_back("plot " + e.plot);
  return fmt::format("{}", fmt::join(parts, "; "));
}

namespace {

std::string header(const Findings& f) {
  return fmt::format("Findings for {}, ranked by size of effect. {}", f.subject, f.accelerator_note);
}

size_t shown(const Findings& f, size_t limit) { return limit == 0 ? f.items.size() : std::min(limit, f.items.size()); }

}  // namespace

std::string render_text(const Findings& f, size_t limit) {
  std::string out = header(f) + "\n";
  if (f.items.empty())
    out += "  (none: no rule found a difference between kernels or a growth with the object count)\n";
  size_t n = shown(f, limit);
  for (size_t i = 0; i < n; ++i) {
    const Finding& x = f.items[i];
    out += fmt::format("{:>3}. [{} {}] {}\n", i + 1, kind_name(x.kind), x.effect_text, x.sentence);
    out += "     evidence: " + evidence_text(x.evidence) + "\n";
  }
  if (n < f.items.size()) out += fmt::format("  ... and {} more (kreg findings RUN lists all)\n", f.items.size() - n);
  for (const auto& note : f.notes) out += "  note: " + note + "\n";
  return out;
}

std::string render_markdown(const Findings& f, size_t limit) {
  std::string out = header(f) + "\n\n";
  if (f.items.empty()) out += "No rule found a difference between kernels or a growth with the object count.\n";
  size_t n = shown(f, limit);
  for (size_t i = 0; i < n; ++i) {
    const Finding& x = f.items[i];
    std::string sentence = x.sentence;
    for (size_t at = 0; (at = sentence.find('|', at)) != std::string::npos; at += 2) sentence.replace(at, 1, "\\|");
    out += fmt::format("{}. **{} {}**: {} <br>*Evidence:* {}\n", i + 1, kind_name(x.kind), x.effect_text, sentence,
                       evidence_text(x.evidence));
  }
  if (n < f.items.size()) out += fmt::format("\n... and {} more findings.\n", f.items.size() - n);
  if (!f.notes.empty()) out += "\n";
  for (const auto& note : f.notes) out += "- Note: " + note + "\n";
  return out;
}

json to_json(const Findings& f) {
  json items = json::array();
  for (size_t i = 0; i < f.items.size(); ++i) {
    const Finding& x = f.items[i];
    const Evidence& e = x.evidence;
    json ev = {{"job", e.job},       {"mode", e.mode},          {"metrics", e.metrics}, {"kernels", e.kernels},
               {"points", e.points}, {"object", e.object},      {"test", e.test},       {"interval", e.interval},
               {"plot", e.plot},     {"text", evidence_text(e)}};
    ev["p"] = e.p ? json(*e.p) : json(nullptr);
    items.push_back({{"rank", i + 1},
                     {"kind", kind_name(x.kind)},
                     {"effect", x.effect},
                     {"effect_text", x.effect_text},
                     {"sentence", x.sentence},
                     {"evidence", ev}});
  }
  return {{"schema", "kreg.findings"},
          {"schema_version", 1},
          {"subject", f.subject},
          {"kernels", f.kernels},
          {"accelerators", f.accelerators},
          {"accelerator_note", f.accelerator_note},
          {"findings", items},
          {"notes", f.notes}};
}

}  // namespace kreg::findings
