// The object rules: what the kernel keeps after the objects were destroyed
// (held) and what the objects it holds cost it (memory). See findings.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness/findings/findings.hpp"
#include "harness/findings/format.hpp"
#include "harness/findings/rule_parts.hpp"

namespace kreg::findings {

using namespace detail;
using nlohmann::json;

namespace {

// A count the kernel reports at every point (point["measured"][key]) of what it still holds, from
// the generator table: `retained` (what the generator destroyed, so holding it is the kernel's
// choice: a held finding) or `held` (alive by design, so only its memory is of interest).
struct HeldCount {
  std::string key;   // "memcg_dying"
  std::string many;  // "dying memcgs"
  std::string one;   // "dying memcg"
};

std::vector<HeldCount> retained_of(const Line& line) {
  if (!line.scenario || line.scenario->retained_key.empty()) return {};
  return {{line.scenario->retained_key, line.scenario->retained_label, singular(line.scenario->retained_label)}};
}

std::vector<HeldCount> held_of(const Line& line) {
  if (!line.scenario || line.scenario->held_key.empty()) return {};
  return {{line.scenario->held_key, line.scenario->held_label, singular(line.scenario->held_label)}};
}

std::optional<double> number(const json& obj, const std::string& key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number()) return std::nullopt;
  return obj[key].get<double>();
}

struct HeldLine {
  const Line* line;
  std::vector<double> x, held;
  stats::LinearFit fit;
  double x_last = 0, held_last = 0, held_first = 0;
  bool keeps = false;
};

std::optional<HeldLine> held_line(const Line& line, const HeldCount& h, const Settings& s) {
  HeldLine hl{&line, {}, {}, {}};
  for (const json* p : line.points()) {
    auto v = number(p->value("measured", json::object()), h.key);
    if (!v) continue;
    hl.x.push_back(p->value("created", 0.0));
    hl.held.push_back(*v);
  }
  if (std::set<double>(hl.x.begin(), hl.x.end()).size() < 2) return std::nullopt;
  hl.fit = stats::linear_fit(hl.x, hl.held, 1 - s.alpha);
  hl.x_last = hl.x.back();
  hl.held_last = hl.held.back();
  hl.held_first = hl.held.front();
  // Counts the kernel reports, not samples: the rule is on the counts themselves. A kernel keeps
  // objects when at each of its two largest counts at least one in twenty of those made since the
  // first point is still held (one count alone could catch a teardown still in flight).
  auto share = [&](size_t i) { return hl.x[i] > hl.x[0] ? (hl.held[i] - hl.held[0]) / (hl.x[i] - hl.x[0]) : 0.0; };
  size_t n = hl.x.size();
  hl.keeps = n >= 3 && share(n - 1) >= 0.05 && share(n - 2) >= 0.05;
  return hl;
}

// "6.1.0-57 (v1, v2), 7.3.4+deb13 (v2)": lines named by kernel, modes folded.
std::string lines_named(const std::vector<const Line*>& lines) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_kernel;
  for (const Line* l : lines) {
    auto it = std::find_if(by_kernel.begin(), by_kernel.end(), [&](auto& p) { return p.first == l->name; });
    if (it == by_kernel.end()) {
      by_kernel.push_back({l->name, {}});
      it = by_kernel.end() - 1;
    }
    if (!l->mode.empty()) it->second.push_back(l->mode);
  }
  std::vector<std::string> parts;
  for (const auto& [name, modes] : by_kernel)
    parts.push_back(modes.empty() ? name : fmt::format("{} ({})", name, fmt::join(modes, ", ")));
  return and_list(parts);
}

std::string modes_of(const std::vector<const Line*>& lines) {
  std::set<std::string> modes;
  for (const Line* l : lines)
    if (!l->mode.empty()) modes.insert(l->mode);
  return fmt::format("{}", fmt::join(modes, ", "));
}

// Lines of one family across cgroup modes.
std::map<std::string, std::vector<const Line*>> by_family(const RunView& view) {
  std::map<std::string, std::vector<const Line*>> out;
  for (const Line& l : view.lines) out[l.family].push_back(&l);
  return out;
}

std::string per_held(const HeldLine& h, const Settings& s) {
  if (!h.fit.has_ci) return fmt::format("{} per {}", fmt_ratio(h.fit.slope), x_word_one(*h.line));
  return fmt::format("{} per {}, {:g}% CI {} to {}", fmt_ratio(h.fit.slope), x_word_one(*h.line), (1 - s.alpha) * 100,
                     fmt_ratio(h.fit.slope_lo), fmt_ratio(h.fit.slope_hi));
}

}  // namespace

std::vector<Finding> held_findings(const RunView& view, const Settings& s) {
  std::vector<Finding> out;
  for (const auto& [family, lines] : by_family(view)) {
    for (const HeldCount& h : retained_of(*lines.front())) {
      std::vector<HeldLine> hs;
      for (const Line* l : lines)
        if (auto hl = held_line(*l, h, s)) hs.push_back(*hl);
      if (hs.empty()) continue;
      std::vector<const HeldLine*> keep, free;
      for (const auto& hl : hs) (hl.keeps ? keep : free).push_back(&hl);
      if (keep.empty()) continue;  // nothing held anywhere: nothing to state
      if (s.differences_only && free.empty()) continue;
      const Line& any = *hs.front().line;
      auto names = [](const std::vector<const HeldLine*>& v) {
        std::vector<const Line*> ls;
        for (const auto* x : v) ls.push_back(x->line);
        return lines_named(ls);
      };
      auto verb = [](const std::vector<const HeldLine*>& v) {  // one kernel in two modes still "keeps"
        std::set<std::string> kernels;
        for (const auto* x : v) kernels.insert(x->line->kernel);
        return kernels.size() == 1 ? "keeps" : "keep";
      };
      auto held_range = [&](const std::vector<const HeldLine*>& v) {
        double lo = INFINITY, hi = 0;
        for (const auto* x : v) lo = std::min(lo, x->held_last), hi = std::max(hi, x->held_last);
        std::string noun = lo == hi && hi == 1 ? h.one : h.many;
        return (lo == hi ? fmt_count(lo) : fmt_count(lo) + " to " + fmt_count(hi)) + " " + noun;
      };
      auto top =
          *std::max_element(keep.begin(), keep.end(), [](auto* a, auto* b) { return a->held_last < b->held_last; });
      std::string made = fmt::format("{} {}", fmt_count(top->x_last), x_words(any));
      Finding f;
      f.kind = Kind::Held;
      std::string text;
      if (free.empty()) {
        text =
            fmt::format("{} {} {} after {} ({})", names(keep), verb(keep), held_range(keep), made, per_held(*top, s));
        f.effect = (top->held_last + 1) / (top->held_first + 1);
        f.effect_text = fmt::format("{} held", fmt_count(top->held_last));
      } else {
        auto low =
            *std::min_element(free.begin(), free.end(), [](auto* a, auto* b) { return a->held_last < b->held_last; });
        // the odd ones out first: the fewer lines (7.3 frees where three keep; 6.1 keeps where three free), keepers
        // on a tie
        bool keepers_first = keep.size() <= free.size();
        const auto& a = keepers_first ? keep : free;
        const auto& b = keepers_first ? free : keep;
        const HeldLine* ra = keepers_first ? top : low;
        const HeldLine* rb = keepers_first ? low : top;
        text = fmt::format("{} {} {} after {} ({}), where {} {} {} ({})", names(a), verb(a), held_range(a), made,
                           per_held(*ra, s), names(b), verb(b), held_range(b), per_held(*rb, s));
        f.effect = (top->held_last + 1) / (low->held_last + 1);
        f.effect_text = fmt::format("{} vs {}", fmt_count(top->held_last), fmt_count(low->held_last));
      }
      f.sentence = text + ".";
      Evidence& e = f.evidence;
      e.job = family;
      e.mode = modes_of(lines);
      e.metrics = {"measured." + h.key};
      for (const auto& hl : hs) e.kernels.push_back(hl.line->kernel);
      std::sort(e.kernels.begin(), e.kernels.end(), version_less);
      e.kernels.erase(std::unique(e.kernels.begin(), e.kernels.end()), e.kernels.end());
      e.points = top->x;
      e.object = x_words(any);
      e.test = fmt::format(
          "the kernel's own count at every point; keeps = at least 1 in 20 of those made still held at each of the two "
          "largest counts; least squares of {} against {} per kernel",
          h.many, x_words(any));
      e.interval = fmt::format("{}: {}", top->line->label(), per_held(*top, s));
      e.plot = lines.front()->scenario_key == "memcg-churn" ? "dying_vs_churned.png" : "";  // plots/plot_memcg.py
      out.push_back(std::move(f));
    }
  }
  return out;
}

std::vector<Finding> memory_findings(const RunView& view, const Settings& s) {
  std::vector<Finding> out;
  for (const auto& [family, lines] : by_family(view)) {
    for (const HeldCount& h : held_of(*lines.front())) {
      struct Cost {
        const Line* line;
        stats::LinearFit fit;
        double held_max;
      };
      std::vector<Cost> costs;
      for (const Line* l : lines) {
        std::vector<double> held, kib;
        double made = 0;
        for (const json* p : l->points()) {
          made = std::max(made, p->value("created", 0.0));
          auto v = number(p->value("measured", json::object()), h.key);
          const json c = p->value("counters", json::object());
          auto slab = number(c, "meminfo_slab_kb"), percpu = number(c, "meminfo_percpu_kb");
          if (!v || !slab || !percpu) continue;
          held.push_back(*v);
          kib.push_back(*slab + *percpu);
        }
        if (held.size() < 3) continue;
        auto [lo, hi] = std::minmax_element(held.begin(), held.end());
        if (*hi - *lo < std::max(10.0, 0.1 * made)) continue;  // too few held to divide the memory among
        stats::LinearFit fit = stats::linear_fit(held, kib, 1 - s.alpha);
        if (fit.has_ci && fit.slope_lo > 0) costs.push_back({l, fit, *hi});
      }
      if (costs.empty()) continue;
      std::sort(costs.begin(), costs.end(), [](auto& a, auto& b) { return a.fit.slope > b.fit.slope; });
      const Cost& dear = costs.front();
      const Cost& cheap = costs.back();
      bool apart = costs.size() > 1 && dear.fit.slope_lo > cheap.fit.slope_hi;
      if (s.differences_only && !apart) continue;
      double conf = (1 - s.alpha) * 100;
      std::vector<std::string> each;
      for (const auto& c : costs)
        each.push_back(fmt::format("{} on {} ({})", fmt_kib(c.fit.slope), c.line->label(),
                                   ci_text(c.fit.slope_lo, c.fit.slope_hi, conf, false)));
      std::string text = fmt::format("Each {} costs the kernel {} of Slab + Percpu", h.one, and_list(each));
      text += fmt::format(": {} of them hold {} on {}", fmt_count(dear.held_max),
                          fmt_bytes(dear.fit.slope * dear.held_max * 1024), dear.line->label());
      Finding f;
      f.kind = Kind::Memory;
      f.effect = apart ? dear.fit.slope / cheap.fit.slope : 1;
      f.effect_text = apart ? fmt_factor(f.effect) : fmt_kib(dear.fit.slope);
      if (apart)
        text += fmt::format("; {} needs {} what {} does ({:g}% intervals apart)", dear.line->label(),
                            fmt_factor(f.effect), cheap.line->label(), conf);
      f.sentence = text + ".";
      Evidence& e = f.evidence;
      e.job = family;
      e.mode = modes_of(lines);
      e.metrics = {"counters.meminfo_slab_kb + counters.meminfo_percpu_kb"};
      for (const auto& c : costs) e.kernels.push_back(c.line->kernel);
      std::vector<double> xs;
      for (const json* p : dear.line->points())
        if (auto v = number(p->value("measured", json::object()), h.key)) xs.push_back(*v);
      e.points = xs;
      e.object = h.many;
      e.test = fmt::format("least squares of Slab + Percpu (KiB) against {} per line, {:g}% interval of the slope",
                           h.many, conf);
      e.interval = fmt::format("{}: {}", dear.line->label(),
                               ci_text(dear.fit.slope_lo, dear.fit.slope_hi, conf, false) + " KiB");
      e.plot = "kernel_memory_per_object.png";
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace kreg::findings
