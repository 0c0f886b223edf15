#include "harness/matrix/matrix_executor.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/matrix_scheduler.hpp"
#include "harness/matrix/run_owner.hpp"
#include "harness/matrix/unit_times.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "harness/term/progress.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

std::atomic<bool> g_stop{false};

// What `kreg kernels show` prints as the guest's probe: written beside the
// cached kernel the first time a guest of it reports its features.
void remember_guest_features(const KernelImage& k, const nlohmann::json& features, const nlohmann::json& guest) {
  fs::path dir = fs::path(k.vmlinuz).parent_path();
  if (features.is_null() || !fs::exists(dir / "kernel.json")) return;
  try {
    write_file_atomically(
        (dir / "guest_features.json").string(),
        nlohmann::json{{"release", guest.value("release", "")}, {"features", features}}.dump(2) + "\n");
  } catch (const KregError&) {
    // A read-only cache only loses the convenience copy; records keep the probe.
  }
}

// What finishes the run: a shard resumes by running it again.
std::string resume_command(const nlohmann::json& run, const ResultStore& store) {
  if (run.contains("shard"))
    return fmt::format("kreg run --plan {} --shard {} --results {}", run["shard"].value("plan_file", "PLAN"),
                       run["shard"].value("index", 0),
                       fs::path(store.dir()).parent_path().parent_path().parent_path().string());
  return "kreg run --resume " + store.run_id() + " --results " + fs::path(store.dir()).parent_path().string();
}

}  // namespace

const std::atomic<bool>& stop_requested() { return g_stop; }
void request_stop(int) { g_stop.store(true); }
void reset_stop_request() { g_stop.store(false); }

std::string kernel_label(const KernelImage& k) {
  if (!k.label.empty()) return k.label;
  return k.release.empty() ? fs::path(k.vmlinuz).filename().string() : k.release;
}

int execute_units(RunState& state, const Suite& suite, const std::vector<KernelImage>& kernels, UnitEnvironment env,
                  int parallel_override, const std::set<std::string>* only) {
  Progress progress;
  std::vector<std::string> labels;
  for (const auto& k : kernels) labels.push_back(kernel_label(k));
  std::vector<MatrixUnit> units = plan_matrix(suite, labels);
  if (only) std::erase_if(units, [&](const MatrixUnit& u) { return !only->contains(u.unit_id); });
  nlohmann::json& run = state.run;
  // What earlier owners recorded per unit (a kept unit's attempt stays named).
  std::map<std::string, nlohmann::json> earlier;
  if (run.contains("units") && run["units"].is_array())
    for (const auto& u : run["units"])
      if (u.is_object() && u.contains("unit_id")) earlier[u["unit_id"].get<std::string>()] = u;
  run["units"] = nlohmann::json::array();
  std::vector<size_t> todo;
  for (size_t i = 0; i < units.size(); ++i) {
    bool kept = state.store->has_record(units[i].record_path);
    run["units"].push_back({{"unit_id", units[i].unit_id},
                            {"kernel", units[i].kernel_label},
                            {"job_id", units[i].job["job_id"]},
                            {"cgroup_mode", units[i].cgroup_mode},
                            {"repetition", units[i].repetition},
                            {"record", units[i].record_path},
                            {"vm_dir", "vm/" + units[i].vm_name},
                            {"status", kept ? "kept" : "pending"}});
    if (kept && earlier.contains(units[i].unit_id))
      for (const char* key : {"attempt", "vm_dir"})
        if (earlier[units[i].unit_id].contains(key)) run["units"].back()[key] = earlier[units[i].unit_id][key];
    if (!kept) todo.push_back(i);
  }
  // Longest first, so that no long unit starts last and runs alone; run.json
  // keeps the plan's order.
  UnitTimes times(env.unit_times_path);
  todo = longest_first(units, std::move(todo), times);
  SchedulerLimits limits{parallel_override > 0 ? parallel_override : suite.vm.parallel,
                         static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), host_memory_limit_mib()};
  const int parallel = effective_parallel(limits, suite.vm.vcpus);
  run["parallel"] = parallel;
  run["status"] = "running";
  run["owner"] = owner_json();
  state.save();
  // The first write the results directory refuses stops the run: nothing
  // measured after it could be kept.
  std::string store_error;
  auto store_failed = [&](const std::string& what) {  // with state.mutex held
    if (store_error.empty()) store_error = what;
    request_stop(0);
  };
  auto save = [&] {  // with state.mutex held
    try {
      state.save();
    } catch (const StoreWriteError& e) {
      store_failed(e.what());
    }
  };
  progress.note(
      fmt::format("kreg: {} units ({} kernels x jobs x cgroup modes), {} to run, up to {} VMs at once "
                  "({} vCPU each, {} host CPUs)",
                  units.size(), kernels.size(), todo.size(), parallel, suite.vm.vcpus, limits.host_cpus));

  std::vector<double> fraction(units.size(), 0.0);
  size_t finished = 0;
  int failed = 0, stopped = 0;
  std::vector<bool> probed(kernels.size(), false);
  auto overall = [&] {
    double f = finished;
    for (size_t i : todo) f += fraction[i];
    return todo.empty() ? 1.0 : f / todo.size();
  };
  std::vector<SchedulerTask> tasks;
  for (size_t n = 0; n < todo.size(); ++n) {
    const size_t i = todo[n];
    const MatrixUnit& unit = units[i];
    SchedulerTask task;
    task.vcpus = suite.vm.vcpus;
    task.memory_mib = unit_memory_mib(unit, suite.vm);
    task.run = [&, i, n] {
      const MatrixUnit& u = units[i];
      const KernelImage& kernel = kernels[u.kernel_index];
      UnitOutcome out;
      auto vm_started = [&](const VmStarted& vm) {
        std::lock_guard<std::mutex> lock(state.mutex);
        nlohmann::json& entry = run["units"][i];
        entry["attempt"] = vm.attempt.number;
        entry["vm_dir"] = vm.attempt.relative;
        auto qemu = identify_process(vm.pid);
        if (qemu) entry["qemu"] = process_json(*qemu);
        save();  // a later kreg finds this QEMU even if this one is killed now
      };
      try {
        out = run_unit(
            u, kernel, env,
            [&](const UnitProgress& p) {
              std::lock_guard<std::mutex> lock(state.mutex);
              fraction[i] = p.fraction;
              std::string line =
                  fmt::format("job {}/{} {} on {}: {} {}", n + 1, todo.size(), u.job["job_id"].get<std::string>(),
                              u.kernel_label, p.line, progress.eta(overall()));
              if (p.point_done)
                progress.note(line);
              else
                progress.status(line);
            },
            vm_started);
      } catch (const StoreWriteError& e) {  // nothing more can be recorded: the run stops
        out.end = "store-error";
        out.reason = e.what();
        std::lock_guard<std::mutex> lock(state.mutex);
        store_failed(e.what());
      } catch (const std::exception& e) {  // a host-side fault in one unit must not end the matrix
        out.end = "host-error";
        out.reason = e.what();
      }
      std::lock_guard<std::mutex> lock(state.mutex);
      ++finished;
      fraction[i] = 0;
      nlohmann::json& entry = run["units"][i];
      entry.erase("qemu");  // reaped: nothing of this unit runs any more
      if (out.attempt > 0) entry.update({{"attempt", out.attempt}, {"vm_dir", out.vm_dir}});
      entry.update({{"status", out.status},
                    {"end", out.end},
                    {"reason", out.reason},
                    {"wall_s", out.wall_s},
                    {"boot_to_hello_s", out.boot_to_hello_s},
                    {"memory_mib", out.memory_mib}});
      // Where the unit's wall time went: boot (with its phases), the job, teardown.
      if (!out.boot.is_null()) entry["boot"] = out.boot;
      if (out.job_s >= 0) entry["job_s"] = out.job_s;
      if (out.teardown_s >= 0) entry["teardown_s"] = out.teardown_s;
      if (out.boots > 1) entry.update({{"boots", out.boots}, {"stalled_boot_tail", out.stalled_boot_tail}});
      if (!out.features.is_null()) entry["features"] = out.features;
      if (!out.features.is_null() && !probed[u.kernel_index]) {
        probed[u.kernel_index] = true;
        remember_guest_features(kernel, out.features, out.guest_kernel);
      }
      if (out.status == "failed") {
        ++failed;
        run["failures"].push_back({{"vm", u.unit_id},
                                   {"end", out.end},
                                   {"reason", out.reason},
                                   {"console_tail", out.console_tail},
                                   {"attempt", out.attempt},
                                   {"vm_dir", out.attempt > 0 ? out.vm_dir : "vm/" + u.vm_name}});
      }
      stopped += out.status == "stopped";
      if (out.status == "ok" || out.status == "skipped") times.remember(u, out.wall_s);
      save();
      progress.note(
          fmt::format("kreg: job {}/{} {} {} in {:.0f} s{}", n + 1, todo.size(), u.unit_id, out.status, out.wall_s,
                      out.status == "ok" ? " -> " + state.store->dir() + "/" + u.record_path : ": " + out.reason));
      if (out.status == "failed" && !out.console_tail.empty()) std::fprintf(stderr, "%s", out.console_tail.c_str());
      if (out.boots > 1)
        progress.note(
            fmt::format("kreg: {} stalled before hello and was booted again ({} boots; console of the "
                        "stall in {})",
                        u.unit_id, out.boots, out.stalled_console_log));
    };
    tasks.push_back(std::move(task));
  }
  auto started_at = std::chrono::steady_clock::now();
  run_scheduled(tasks, limits, g_stop, [&](size_t n) {
    std::lock_guard<std::mutex> lock(state.mutex);
    run["units"][todo[n]]["status"] = "running";
    progress.status(fmt::format("job {}/{} {} starting", n + 1, todo.size(), units[todo[n]].unit_id));
  });
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  times.save();
  std::lock_guard<std::mutex> lock(state.mutex);
  size_t not_started = 0;
  for (auto& entry : run["units"])
    if (entry["status"] == "pending" || entry["status"] == "running") ++not_started;
  run["wall_s"] = run.value("wall_s", 0.0) + wall;
  run["status"] = !store_error.empty() ? "failed" : g_stop.load() ? "stopped" : failed > 0 ? "failed" : "ok";
  save();
  progress.note(
      fmt::format("kreg: {} of {} units run in {:.0f} s: {} failed, {} stopped, {} not started; records in {}",
                  finished, todo.size(), wall, failed, stopped, not_started, state.store->dir()));
  if (!store_error.empty()) {
    std::fprintf(stderr,
                 "kreg: error: %s; the run stopped, every record stored before is kept (free space or fix the results "
                 "directory, then: %s)\n",
                 store_error.c_str(), resume_command(run, *state.store).c_str());
    return 2;
  }
  if (g_stop.load()) {
    progress.note("kreg: stopped; finish with: " + resume_command(run, *state.store));
    return 130;
  }
  if (failed > 0) {
    const auto& first = run["failures"].back();
    std::fprintf(stderr, "kreg: error: %d of %zu units failed, last %s: %s (see %s/run.json failures)\n", failed,
                 todo.size(), first.value("vm", "?").c_str(), first.value("reason", "").c_str(),
                 state.store->dir().c_str());
    return 2;
  }
  return 0;
}

}  // namespace kreg
