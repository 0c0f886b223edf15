#include "bench/speed_runner.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>

#include "bench/exec_capture.hpp"
#include "scenarios/cgroup_lib.hpp"
#include "scenarios/kernel_files.hpp"
#include "scenarios/memcg_counts.hpp"

namespace kreg {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Method {
  std::string name;                                   // "generator", "raw", "bash"
  std::function<double(int64_t ops, int round)> run;  // returns seconds spent on `ops` objects
};

struct Family {
  std::string name, object;
  std::vector<Method> methods;
};

double seconds_of(const std::function<void()>& work) {
  auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A generator's own time for `ops` objects (construction and cleanup excluded).
double time_generator(const std::string& name, nlohmann::json params, const GeneratorContext& ctx, int64_t ops) {
  auto gen = make_generator(name, params, ctx);
  double s = seconds_of([&] { gen->advance_to(ops, {}); });
  gen->cleanup();
  return s;
}

double raw_seconds(const std::vector<std::string>& argv) {
  auto out = nlohmann::json::parse(exec_capture(argv, helper_environment()));
  return out.at("seconds").get<double>();
}

std::vector<Family> families(const SweepEnvironment& env) {
  const GeneratorContext& ctx = env.context;
  std::string memory = controller_mount_point("memory");
  std::string pids = controller_mount_point("pids");
  std::string base = ctx.scratch_dir + "/speed";
  // Each round gets a fresh parent cgroup and page-cache directory per method;
  // the page cache is removed after the round for every method alike.
  auto parent = [&](const std::string& who, int round) {
    return ctx.cgroup_root + "/speed-" + who + "-" + std::to_string(round);
  };
  auto memcg_raw = [=](const std::string& way) {
    return [=](int64_t ops, int round) {
      std::string p = parent("raw-" + way, round), dir = base + "/raw-" + way + "-" + std::to_string(round);
      fs::create_directories(memory + "/" + p);
      fs::create_directories(dir);
      double s = raw_seconds({env.raw_dir + "/memcg_raw", way, std::to_string(ops), memory, p, dir, "4096"});
      fs::remove_all(dir);
      return s;
    };
  };
  auto memcg_gen = [=](const std::string& way) {
    return [=](int64_t ops, int round) {
      nlohmann::json params = {{"way", way}, {"parent", "speed-gen-" + way + "-" + std::to_string(round)}};
      return time_generator("memcg-churn", params, ctx, ops);
    };
  };
  auto bash = [=](int64_t ops, int round) {
    std::string p = parent("bash", round), dir = base + "/bash-" + std::to_string(round);
    fs::create_directories(memory + "/" + p);
    fs::create_directories(dir);
    double s = seconds_of([&] {
      exec_capture({env.busybox, "sh", env.poc_script, std::to_string(ops), memory, p, dir}, helper_environment());
    });
    fs::remove_all(dir);
    return s;
  };
  return {
      {"memcg-fork", "memcg", {{"generator", memcg_gen("fork")}, {"raw", memcg_raw("fork")}, {"bash", bash}}},
      {"memcg-fast", "memcg", {{"generator", memcg_gen("fast")}, {"raw", memcg_raw("fast")}}},
      {"netns-dead",
       "netns",
       {{"generator",
         [=](int64_t ops, int) {
           return time_generator("netns", {{"mode", "dead"}}, ctx, ops);
         }},
        {"raw",
         [=](int64_t ops, int) {
           return raw_seconds({env.raw_dir + "/netns_raw", "dead", std::to_string(ops)});
         }}}},
      {"netns-live",
       "netns",
       {{"generator",
         [=](int64_t ops, int) {
           return time_generator("netns", {{"mode", "live"}}, ctx, ops);
         }},
        {"raw",
         [=](int64_t ops, int) {
           return raw_seconds({env.raw_dir + "/netns_raw", "live", std::to_string(ops)});
         }}}},
      {"dentry-negative",
       "dentry",
       {{"generator",
         [=](int64_t ops, int round) {
           return time_generator("dentry-negative", {{"dir", "speed-gen-" + std::to_string(round)}}, ctx, ops);
         }},
        {"raw",
         [=](int64_t ops, int round) {
           std::string dir =
               (ctx.disk_dir.empty() ? ctx.scratch_dir : ctx.disk_dir) + "/speed-raw-" + std::to_string(round);
           fs::create_directories(dir);
           double s = raw_seconds({env.raw_dir + "/dentry_negative_raw", "lookup", std::to_string(ops), dir});
           fs::remove_all(dir);
           return s;
         }}}},
      {"pause-loop",
       "pause",
       {{"generator",
         [=](int64_t ops, int round) {
           return time_generator("pause-loop", {{"fail_fast", true}, {"parent", "speed-gen-" + std::to_string(round)}},
                                 ctx, ops);
         }},
        {"raw",
         [=](int64_t ops, int round) {
           std::string p = parent("raw-pause", round);
           fs::create_directories(memory + "/" + p);
           fs::create_directories(pids + "/" + p);
           return raw_seconds({env.raw_dir + "/pause_loop_raw", std::to_string(ops), memory, pids, p});
         }}}},
  };
}

}  // namespace

nlohmann::json run_speed(const nlohmann::json& job, const SweepEnvironment& env, const ProgressFn& progress) {
  const int rounds = job.value("rounds", 5);
  const nlohmann::json ops =
      job.value("ops", nlohmann::json{{"memcg", 1000}, {"netns", 200}, {"dentry", 200000}, {"pause", 100}});
  std::vector<std::string> wanted = job.value("families", std::vector<std::string>{});
  // "points" stays empty: a speed record has no sweep, only rates.
  nlohmann::json result = {{"status", "ok"},
                           {"error", nullptr},
                           {"rounds", rounds},
                           {"families", nlohmann::json::object()},
                           {"points", nlohmann::json::array()}};
  for (const Family& family : families(env)) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), family.name) == wanted.end()) continue;
    int64_t per_round = std::max<int64_t>(1, ops.value(family.object, int64_t{100}) / rounds);
    std::map<std::string, double> seconds;
    try {
      for (int round = 0; round < rounds; ++round) {
        // Odd rounds run the methods in reverse: whatever the first one leaves
        // behind (warm caches, dying objects, a host slowing down) falls on
        // each method in turn.
        for (size_t i = 0; i < family.methods.size(); ++i) {
          const Method& m = family.methods[round % 2 ? family.methods.size() - 1 - i : i];
          seconds[m.name] += m.run(per_round, round);
        }
        progress({{"job_id", job.value("job_id", "speed")},
                  {"family", family.name},
                  {"round", round + 1},
                  {"created", per_round * (round + 1)},
                  {"target", per_round * rounds}});
      }
    } catch (const std::exception& e) {
      result["families"][family.name] = {{"error", e.what()}};
      result["status"] = "partial";
      continue;
    }
    nlohmann::json f = nlohmann::json::object();
    for (const auto& [name, s] : seconds)
      f[name] = {
          {"ops", per_round * rounds}, {"seconds", s}, {"ops_per_s", static_cast<double>(per_round * rounds) / s}};
    f["generator_vs_raw"] = f["generator"]["ops_per_s"].get<double>() / f["raw"]["ops_per_s"].get<double>();
    if (f.contains("bash"))
      f["generator_vs_bash"] = f["generator"]["ops_per_s"].get<double>() / f["bash"]["ops_per_s"].get<double>();
    result["families"][family.name] = f;
  }
  // fork() copies the page tables of every private page the forking process
  // touched: the harness's own size is part of the fork ways' cost.
  try {
    auto status = parse_meminfo_kb(read_text_file("/proc/self/status"));
    result["harness_rss_anon_kb"] = status.count("RssAnon") ? status["RssAnon"] : -1;
  } catch (const std::exception&) {
  }
  // The two headline figures: the raw floors against the shell loop.
  const auto& fams = result["families"];
  auto rate = [&](const char* fam, const char* method) {
    return fams.contains(fam) && fams[fam].contains(method) ? fams[fam][method]["ops_per_s"].get<double>() : 0.0;
  };
  double bash = rate("memcg-fork", "bash");
  if (bash > 0) {
    result["raw_fast_vs_bash"] = rate("memcg-fast", "raw") / bash;
    result["raw_fork_vs_bash"] = rate("memcg-fork", "raw") / bash;
    result["generator_fast_vs_bash"] = rate("memcg-fast", "generator") / bash;
    result["generator_fork_vs_bash"] = rate("memcg-fork", "generator") / bash;
  }
  return result;
}

}  // namespace kreg
