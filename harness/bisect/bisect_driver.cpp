#include "harness/bisect/bisect_driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include "harness/bisect/bisect_log.hpp"
#include "harness/bisect/bisect_parts.hpp"
#include "harness/matrix/matrix_executor.hpp"
#include "harness/store/result_store.hpp"
#include "harness/term/progress.hpp"
#include "vm/boot/accelerator.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace fs = std::filesystem;

namespace kreg {

using bisect_detail::Course;

namespace {

UnitEnvironment make_environment(const BisectOptions& o, nlohmann::json& machine) {
  const std::string qemu = find_qemu(o.qemu);
  UnitEnvironment env;
  env.qemu = qemu;
  CapturedRun v = run_captured({qemu, "--version"});
  env.qemu_version = v.out.substr(0, v.out.find('\n'));
  env.guest = locate_guest_binaries();
  env.accel = choose_accelerator(o.accel, qemu);
  env.vm = o.suite.vm;
  env.run_id = o.bisect_id;
  env.stop = &stop_requested();
  machine = {{"accelerator", to_string(env.accel.accelerator)},
             {"accelerator_reason", env.accel.reason},
             {"vcpus", o.suite.vm.vcpus},
             {"qemu", env.qemu_version},
             {"host_cpus", std::thread::hardware_concurrency()}};
  return env;
}

// Progress: which round, which kernel and try, and an ETA from the boots so far.
struct Eta {
  Progress progress;
  double try_s_sum = 0;
  int tries_done = 0;
  int slots = 1;
  std::string stage;
  int vm_lengths_after = 0;  // rounds still to come after this batch, in VM lengths
  int batch_lengths = 0;     // this batch, in VM lengths
  void status(const std::string& line, double fraction) {
    std::string eta;
    if (tries_done > 0) {
      double left = (batch_lengths * (1 - fraction) + vm_lengths_after) * try_s_sum / tries_done;
      eta = fmt::format("  ETA ~{}m{:02}s", static_cast<int>(left) / 60, static_cast<int>(left) % 60);
    }
    progress.status(stage + ": " + line + eta);
  }
};

int lengths(int kernels, int tries, int slots) { return (kernels * tries + slots - 1) / std::max(1, slots); }

}  // namespace

BisectOutcome run_bisect(KernelSequence& sequence, const BisectOptions& o, const nlohmann::json& previous) {
  const bool resume = !previous.is_null();
  const std::string dir = o.results_root + "/" + o.bisect_id;
  if (!resume && fs::exists(dir + "/bisect.json"))
    throw KregError("results directory " + dir + " already holds a bisect (choose another --bisect-id)");
  fs::create_directories(dir + "/runs");
  nlohmann::json machine;
  UnitEnvironment env = make_environment(o, machine);
  if (resume && previous["machine"].value("accelerator", "") != machine["accelerator"])
    throw KregError("bisect " + o.bisect_id + " was measured under " + previous["machine"].value("accelerator", "?") +
                    " but this machine would use " + machine["accelerator"].get<std::string>() +
                    "; timings would not compare");

  Course c{sequence, o, previous, dir, o.metrics, {}, nullptr};
  c.save = [&c] { write_file_atomically(c.dir + "/bisect.json", c.doc.dump(2) + "\n"); };
  if (!resume)
    c.doc = {{"schema", "kreg.bisect"},
             {"schema_version", 1},
             {"bisect_id", o.bisect_id},
             {"kind", sequence.kind()},
             {"sequence", sequence.to_json()},
             {"options", options_to_json(o)},
             {"machine", machine},
             {"resumed", nlohmann::json::array()}};
  else
    c.doc["resumed"].push_back(make_run_id("resume"));
  c.doc["steps"] = nlohmann::json::array();  // replayed in order: restored or measured
  c.doc["status"] = "running";
  c.doc["result"] = nlohmann::json::object();
  c.save();

  Eta eta;
  MeasureContext context{dir + "/runs", o.suite, env, machine, o.parallel, nullptr, nullptr};
  context.on_status = [&](const std::string& line, double f) { eta.status(line, f); };
  context.on_note = [&](const std::string& line) { eta.progress.note(line); };
  context.on_try_done = [&](double wall_s) {
    eta.try_s_sum += wall_s;
    ++eta.tries_done;
  };
  eta.slots = batch_slots(context);
  StopOnSignal stop_on_signal;
  StepMeasurer measurer(sequence, context, previous.is_null() ? nlohmann::json::object() : previous);
  const size_t n = sequence.size();
  BisectSearch search(n);

  auto finish = [&](const std::string& status, int code, const std::string& message) {
    c.doc["status"] = status;
    c.doc["result"]["status"] = status;
    c.doc["result"]["message"] = message;
    c.doc["result"]["exit_code"] = code;
    c.doc["metrics_compared"] = c.metrics;
    c.save();
    write_file_atomically(dir + "/bisect.md", render_bisect_log(c.doc));
    return BisectOutcome{code, message, dir};
  };
  auto stopped = [&] {
    return finish("stopped", 130,
                  "stopped; continue with: kreg bisect --resume " + o.bisect_id + " --results " + o.results_root);
  };
  const std::string good_name = sequence.entries().front().name, bad_name = sequence.entries().back().name;

  // 1. Both endpoints, side by side.
  eta.stage = "bisect: endpoints " + good_name + " and " + bad_name;
  eta.batch_lengths = lengths(2, o.tries, eta.slots);
  eta.vm_lengths_after =
      static_cast<int>(std::ceil(std::log2(std::max<size_t>(n - 1, 1)))) * lengths(1, o.tries, eta.slots) +
      lengths(2, o.confirm_tries, eta.slots);
  std::vector<StepRun> ends = measurer.measure({0, n - 1}, "endpoint", o.tries);
  if (ends[0].stopped || ends[1].stopped) return stopped();
  StepRun &good = ends[0], &bad = ends[1];
  if (!good.skip_reason.empty())
    return finish("error", 2, "good endpoint " + good_name + " could not be measured: " + good.skip_reason);
  c.good_records = good.records;
  const nlohmann::json* first_good = nullptr;
  for (const auto& r : good.records)
    if (r.is_object() && r.value("status", "") == "ok" && !first_good) first_good = &r;
  if (c.metrics.empty()) {
    for (const auto& m : record_metrics(*first_good))
      if (m != "timer_overhead" &&
          (o.job_metrics.empty() || std::find(o.job_metrics.begin(), o.job_metrics.end(), m) != o.job_metrics.end()))
        c.metrics.push_back(m);
    if (c.metrics.empty()) return finish("error", 2, "the good endpoint " + good_name + " recorded no latency metric");
  }
  for (const auto& m : c.metrics)
    if (std::string why = missing_metric_reason(*first_good, m); !why.empty())
      return finish("error", 2,
                    "metric " + m + " is missing from the good endpoint " + good_name + "'s record: " + why);
  const StepVote self = o.tries >= 2 ? bisect_detail::vote_against(c, good.records, good.records, true)
                                     : bisect_detail::skip_vote("one try: nothing to check the baseline against");
  StepVote good_vote = self;
  good_vote.verdict = StepVerdict::Good;
  good_vote.summary = "the baseline; its own tries against each other: " + self.summary;
  bisect_detail::settle(c, good, good_vote, 0);
  if (self.verdict == StepVerdict::Bad)
    return finish("good-not-good", 2,
                  "good endpoint " + good_name + " is not good: its own tries disagree (" + self.summary +
                      "); the noise exceeds compare's threshold: raise --tries or --threshold");
  const StepVote bad_vote = bad.skip_reason.empty() ? bisect_detail::vote_against(c, c.good_records, bad.records)
                                                    : bisect_detail::skip_vote(bad.skip_reason);
  bisect_detail::settle(c, bad, bad_vote, 0);
  if (bad_vote.verdict == StepVerdict::Good)
    return finish("no-regression", 2,
                  "no regression in range: bad endpoint " + bad_name + " is not bad against good endpoint " +
                      good_name + " (" + bad_vote.summary + ")");
  if (bad_vote.verdict == StepVerdict::Skip)
    return finish("error", 2,
                  "bad endpoint " + bad_name + " is not bad: it could not be judged (" + bad_vote.summary + ")");
  search.record(0, StepVerdict::Good);
  search.record(n - 1, StepVerdict::Bad);

  // 2. Rounds until the window closes.
  int round = 1, steps_taken = 0;
  while (!search.done()) {
    const int width = o.width > 0 ? o.width : best_width(eta.slots, o.tries, search.untested().size());
    const std::vector<size_t> positions = search.next(width);
    std::string names;
    for (size_t p : positions) names += (names.empty() ? "" : ", ") + sequence.entries()[p].name;
    eta.stage = fmt::format("bisect round {} ({} left in range): {}", round, search.untested().size(), names);
    eta.batch_lengths = lengths(static_cast<int>(positions.size()), o.tries, eta.slots);
    eta.vm_lengths_after = std::max(0, search.rounds_left(width) - 1) * lengths(width, o.tries, eta.slots) +
                           lengths(2, o.confirm_tries, eta.slots);
    eta.progress.note("kreg: " + eta.stage);
    std::vector<StepRun> runs = measurer.measure(positions, "step", o.tries);
    for (const auto& r : runs)
      if (r.stopped) return stopped();
    for (auto& r : runs) {
      StepVote v = r.restored              ? StepVote{}
                   : r.skip_reason.empty() ? bisect_detail::vote_against(c, c.good_records, r.records)
                                           : bisect_detail::skip_vote(r.skip_reason);
      bisect_detail::settle(c, r, v, round);
      const StepVerdict verdict = *verdict_from_text(r.entry.value("verdict", "skip"));
      search.record(r.position, verdict);
      eta.progress.note(fmt::format("kreg: bisect: {} is {}: {}", r.entry["kernel"].get<std::string>(),
                                    verdict_text(verdict), r.entry["evidence"].value("summary", "")));
      ++steps_taken;
    }
    ++round;
  }

  // 3. The conclusion, and its confirmation.
  const size_t fb = search.first_bad(), lg = search.last_good();
  auto who = [&](size_t p) {
    return nlohmann::json{{"position", p},
                          {"kernel", sequence.entries()[p].name},
                          {"title", sequence.entries()[p].title},
                          {"entry", sequence.entries()[p].json}};
  };
  nlohmann::json& result = c.doc["result"];
  result["first_bad"] = who(fb);
  result["last_good"] = who(lg);
  result["steps_taken"] = steps_taken;
  result["rounds"] = round - 1;
  result["kernels_in_range"] = n;
  result["ceil_log2_n"] = ceil_log2(n);
  result["ceil_log2_candidates"] = ceil_log2(n - 1);
  nlohmann::json contradictions = nlohmann::json::array();
  for (const auto& [b, g] : search.contradictions())
    contradictions.push_back(fmt::format("{} measured bad but {} after it measured good", sequence.entries()[b].name,
                                         sequence.entries()[g].name));
  result["contradictions"] = contradictions;
  if (!search.found()) {
    std::string list;
    for (size_t p : search.skipped()) list += sequence.entries()[p].name + " (skipped), ";
    return finish("ambiguous", 2,
                  "cannot decide: the first bad kernel is one of " + list + sequence.entries()[fb].name +
                      "; the skipped ones could not be measured (see bisect.md)");
  }
  const std::string found =
      fmt::format("first bad {} ({}), last good {} ({})", sequence.entries()[fb].name, sequence.entries()[fb].title,
                  sequence.entries()[lg].name, sequence.entries()[lg].title);
  if (o.confirm_tries <= 0) return finish("found", 0, found + "; not confirmed (--confirm-tries 0)");
  eta.stage = "bisect: confirming " + sequence.entries()[fb].name + " against " + sequence.entries()[lg].name;
  eta.batch_lengths = lengths(2, o.confirm_tries, eta.slots);
  eta.vm_lengths_after = sequence.kind() == "commit" ? lengths(1, o.confirm_tries, eta.slots) : 0;
  eta.progress.note("kreg: " + eta.stage);
  std::string why;
  bool was_stopped = false;
  const bool holds = bisect_detail::confirm_culprit(c, measurer, lg, fb, why, was_stopped);
  if (was_stopped) return stopped();
  if (!holds) return finish("not-confirmed", 2, found + ", but the confirmation does not hold: " + why);
  return finish("found", 0, found + "; confirmed by " + std::to_string(o.confirm_tries) + " more boots of each");
}

}  // namespace kreg
