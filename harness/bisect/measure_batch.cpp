#include "harness/bisect/measure_batch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/matrix_executor.hpp"
#include "harness/matrix/matrix_scheduler.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

using Clock = std::chrono::steady_clock;

SchedulerLimits limits_of(const MeasureContext& c) {
  return {c.parallel > 0 ? c.parallel : c.suite.vm.parallel,
          static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), host_memory_limit_mib()};
}

// One request's run: its store, units and run.json.
struct RequestRun {
  std::unique_ptr<ResultStore> store;
  std::vector<MatrixUnit> units;
  nlohmann::json run;
  MeasureResult result;
  Clock::time_point first_start{}, last_end{};
  bool started = false;
};

}  // namespace

std::vector<nlohmann::json> MeasureResult::records() const {
  std::vector<nlohmann::json> out;
  for (const auto& t : tries) out.push_back(t.record);
  return out;
}

std::string MeasureResult::first_failure() const {
  for (size_t i = 0; i < tries.size(); ++i)
    if (tries[i].record.is_null() || tries[i].record.value("status", "") != "ok")
      return fmt::format("try {}: {} {}", i + 1, tries[i].status, tries[i].reason);
  return "";
}

int batch_slots(const MeasureContext& context) {
  return effective_parallel(limits_of(context), context.suite.vm.vcpus);
}

std::vector<MeasureResult> measure_batch(const std::vector<MeasureRequest>& requests, MeasureContext& context) {
  std::vector<RequestRun> runs(requests.size());
  struct Todo {
    size_t request, unit;
  };
  std::vector<Todo> todo;
  for (size_t r = 0; r < requests.size(); ++r) {
    const MeasureRequest& req = requests[r];
    RequestRun& rr = runs[r];
    const bool again = fs::exists(context.runs_root + "/" + req.run_name + "/run.json");
    rr.store = std::make_unique<ResultStore>(context.runs_root, req.run_name, again, /*link_latest=*/false);
    rr.result.run_dir = rr.store->dir();
    Suite suite = context.suite;
    suite.repetitions = req.tries;
    suite.kernels = {req.spec};
    rr.units = plan_matrix(suite, {kernel_label(req.kernel)});
    rr.run =
        new_run_json({req.run_name, suite.name, suite_to_json(suite),
                      nlohmann::json::array(
                          {{{"spec", req.spec}, {"label", kernel_label(req.kernel)}, {"kernel", to_json(req.kernel)}}}),
                      context.machine});
    rr.run["bisect_step"] = true;
    rr.run["units"] = nlohmann::json::array();
    rr.result.tries.resize(rr.units.size());
    for (size_t u = 0; u < rr.units.size(); ++u) {
      const MatrixUnit& unit = rr.units[u];
      const bool kept = rr.store->has_record(unit.record_path);
      rr.run["units"].push_back({{"unit_id", unit.unit_id},
                                 {"kernel", unit.kernel_label},
                                 {"job_id", unit.job["job_id"]},
                                 {"cgroup_mode", unit.cgroup_mode},
                                 {"repetition", unit.repetition},
                                 {"record", unit.record_path},
                                 {"vm_dir", "vm/" + unit.vm_name},
                                 {"status", kept ? "kept" : "pending"}});
      if (kept) {
        TryResult& t = rr.result.tries[u];
        t.record = nlohmann::json::parse(std::ifstream(rr.store->dir() + "/" + unit.record_path), nullptr, false);
        if (t.record.is_discarded()) t.record = nullptr;
        t.status = "kept";
        t.record_path = unit.record_path;
      } else {
        todo.push_back({r, u});
      }
    }
    rr.store->write_run(rr.run);
  }
  // Try-major: the first try of every kernel, then the second, ... so kernels
  // measured together share the host's conditions try for try.
  std::stable_sort(todo.begin(), todo.end(), [&](const Todo& a, const Todo& b) {
    return runs[a.request].units[a.unit].repetition < runs[b.request].units[b.unit].repetition;
  });

  std::mutex mutex;
  std::vector<double> fraction(todo.size(), 0.0);
  size_t finished = 0;
  auto overall = [&] {
    double f = static_cast<double>(finished);
    for (double x : fraction) f += x;
    return todo.empty() ? 1.0 : f / static_cast<double>(todo.size());
  };
  std::vector<SchedulerTask> tasks;
  for (size_t n = 0; n < todo.size(); ++n) {
    const auto [r, u] = todo[n];
    SchedulerTask task;
    task.vcpus = context.suite.vm.vcpus;
    task.memory_mib = unit_memory_mib(runs[r].units[u], context.suite.vm);
    task.run = [&, n, r = r, u = u] {
      RequestRun& rr = runs[r];
      const MatrixUnit& unit = rr.units[u];
      UnitEnvironment env = context.env;
      env.store = rr.store.get();
      const std::string who = fmt::format("{} try {}/{}", requests[r].label, unit.repetition, requests[r].tries);
      UnitOutcome out;
      try {
        out = run_unit(unit, requests[r].kernel, env, [&](const UnitProgress& p) {
          std::lock_guard<std::mutex> lock(mutex);
          fraction[n] = p.fraction;
          if (context.on_status) context.on_status(who + ": " + p.line, overall());
        });
      } catch (const std::exception& e) {  // a host-side fault costs this try, not the bisect
        out.end = "host-error";
        out.reason = e.what();
      }
      std::lock_guard<std::mutex> lock(mutex);
      ++finished;
      fraction[n] = 0;
      TryResult& t = rr.result.tries[u];
      t.status = out.status;
      t.end = out.end;
      t.reason = out.reason;
      t.wall_s = out.wall_s;
      if (rr.store->has_record(unit.record_path)) {
        t.record = nlohmann::json::parse(std::ifstream(rr.store->dir() + "/" + unit.record_path), nullptr, false);
        if (t.record.is_discarded()) t.record = nullptr;
        if (!t.record.is_null()) t.record_path = unit.record_path;
      }
      rr.last_end = Clock::now();
      rr.run["units"][u].update({{"status", out.status},
                                 {"end", out.end},
                                 {"reason", out.reason},
                                 {"wall_s", out.wall_s},
                                 {"boot_to_hello_s", out.boot_to_hello_s},
                                 {"memory_mib", out.memory_mib}});
      if (out.boots > 1) rr.run["units"][u]["boots"] = out.boots;
      if (out.status == "failed")
        rr.run["failures"].push_back({{"vm", unit.unit_id},
                                      {"end", out.end},
                                      {"reason", out.reason},
                                      {"console_tail", out.console_tail},
                                      {"vm_dir", "vm/" + unit.vm_name}});
      rr.store->write_run(rr.run);
      if (context.on_try_done && out.status != "stopped" && out.end != "setup") context.on_try_done(out.wall_s);
      if (context.on_note)
        context.on_note(fmt::format("kreg: {} {} in {:.0f} s{}", who, out.status, out.wall_s,
                                    out.status == "ok" ? "" : ": " + out.reason));
    };
    tasks.push_back(std::move(task));
  }
  run_scheduled(tasks, limits_of(context), *context.env.stop, [&](size_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    RequestRun& rr = runs[todo[n].request];
    if (!rr.started) rr.first_start = Clock::now();
    rr.started = true;
    rr.run["units"][todo[n].unit]["status"] = "running";
  });
  const bool stop = context.env.stop->load();
  for (auto& rr : runs) {
    bool incomplete = false;
    for (const auto& entry : rr.run["units"])
      incomplete |= entry["status"] == "pending" || entry["status"] == "running" || entry["status"] == "stopped";
    rr.result.stopped = stop && incomplete;
    if (rr.started) rr.result.wall_s = std::chrono::duration<double>(rr.last_end - rr.first_start).count();
    rr.run["status"] = rr.result.stopped ? "stopped" : rr.run["failures"].empty() ? "ok" : "failed";
    rr.run["wall_s"] = rr.result.wall_s;
    rr.store->write_run(rr.run);
  }
  std::vector<MeasureResult> out;
  for (auto& rr : runs) out.push_back(std::move(rr.result));
  return out;
}

}  // namespace kreg
