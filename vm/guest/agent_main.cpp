// kreg-agent: PID 1 of the guest. Mounts what it needs, says hello on the
// result channel, runs every job of /kreg/jobs.json, sends one record per
// job, says done and powers off. It never exits (PID 1 exiting panics the
// kernel); every failure becomes a record or an "error" frame instead.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "bench/job_runner.hpp"
#include "scenarios/generator_table.hpp"
#include "scenarios/memcg_counts.hpp"
#include "vm/guest/boot_timing.hpp"
#include "vm/guest/feature_probe.hpp"
#include "vm/guest/guest_environment.hpp"
#include "vm/guest/guest_system.hpp"
#include "vm/guest/result_channel.hpp"
#include "vm/guest/syscall_floor.hpp"

namespace {

constexpr const char* kJobsPath = "/kreg/jobs.json";
constexpr const char* kResultDevice = "/dev/ttyS1";

kreg::guest::BootTiming g_boot;  // the agent's steps up to hello

nlohmann::json kernel_identity() {
  utsname u{};
  uname(&u);
  return {{"release", u.release},
          {"version", u.version},
          {"machine", u.machine},
          {"cmdline", kreg::guest::kernel_cmdline()},
          {"nprocs", sysconf(_SC_NPROCESSORS_ONLN)}};
}

nlohmann::json run_job(const nlohmann::json& job, kreg::guest::GuestEnvironment& env,
                       kreg::guest::ResultChannel& channel) {
  // Only jobs that make cgroups need a hierarchy: a netns or dentry job must
  // also run on kernels without memcg v1 (6.12+ cloud builds).
  nlohmann::json cgroup_features;
  const bool speed = job.value("kind", "sweep") == "speed";  // times memcg-churn and pause-loop
  if (speed || kreg::generator_info(job.value("scenario", "")).uses_cgroups) {
    const std::string mode = job.value("cgroup_mode", "v1");
    try {
      env.use_cgroup_mode(mode);
    } catch (const std::exception& e) {
      // A kernel without memcg v1 (6.12+ cloud builds) is a finding, not a
      // failure: the job is skipped with the mount error as evidence.
      if (mode != "v1") throw;
      return {{"status", "skipped"},
              {"skip_reason", std::string("cgroup v1 memory controller unavailable: ") + e.what()},
              {"points", nlohmann::json::array()}};
    }
    cgroup_features = kreg::guest::probe_cgroup_features(mode);
  }
  kreg::SweepEnvironment sweep;
  sweep.context = env.context();
  auto progress = [&](const nlohmann::json& p) { channel.send("progress", p); };
  nlohmann::json record = kreg::run_job(job, sweep, progress);
  kreg::guest::reap_orphans();
  if (!cgroup_features.is_null()) record["cgroup_features"] = cgroup_features;
  return record;
}

void run_all(kreg::guest::ResultChannel& channel) {
  nlohmann::json jobs = nlohmann::json::parse(kreg::read_text_file(kJobsPath));
  kreg::guest::GuestEnvironment env;
  const nlohmann::json features = kreg::guest::probe_kernel_features();
  g_boot.mark("features_probed");
  nlohmann::json hello = {{"kernel", kernel_identity()}, {"jobs", jobs.at("jobs").size()}, {"features", features}};
  if (jobs.value("scratch_disk", false)) {
    try {
      hello["scratch_disk"] = env.mount_scratch_disk();
    } catch (const std::exception& e) {
      hello["scratch_disk_error"] = e.what();  // jobs that need it fail with a clear reason
    }
  }
  if (!kreg::guest::syscall_floor_report().is_null()) hello["syscall_floor"] = kreg::guest::syscall_floor_report();
  g_boot.mark("hello");
  hello["boot"] = g_boot.report();
  channel.send("hello", hello);
  // The console tells a human (and a failure report's console tail) where
  // the guest was; the records go over ttyS1.
  std::fprintf(stderr, "kreg-agent: up on %s, %zu job(s)\n", hello["kernel"].value("release", "?").c_str(),
               jobs.at("jobs").size());
  for (const auto& job : jobs.at("jobs")) {
    std::fprintf(stderr, "kreg-agent: job %s starting\n", job.value("job_id", "?").c_str());
    nlohmann::json record;
    try {
      record = run_job(job, env, channel);
    } catch (const std::exception& e) {
      record = {{"status", "failed"}, {"error", {{"message", e.what()}}}, {"points", nlohmann::json::array()}};
    }
    record["job_id"] = job.at("job_id");
    record["job"] = job;
    record["kernel"] = kernel_identity();
    record["features"] = features;
    if (record.contains("cgroup_features")) record["features"].update(record["cgroup_features"]);
    record.erase("cgroup_features");
    if (!kreg::guest::syscall_floor_report().is_null()) record["syscall_floor"] = kreg::guest::syscall_floor_report();
    channel.send("job", record);
    std::fprintf(stderr, "kreg-agent: job %s %s\n", job.value("job_id", "?").c_str(),
                 record.value("status", "?").c_str());
  }
  channel.send("done", {{"jobs", jobs.at("jobs").size()}});
}

}  // namespace

int main(int, char** argv) {
  g_boot.mark("agent_start");
  // kreg.syscall_floor=3.10 re-executes the agent under a seccomp filter
  // (syscall_floor.hpp); the re-executed agent finds its mounts done.
  if (!kreg::guest::syscall_floor_reexecuted()) kreg::guest::mount_basics();
  g_boot.mark("mounted");
  kreg::guest::enter_syscall_floor(argv);
  try {
    kreg::guest::ResultChannel channel(kResultDevice);
    try {
      run_all(channel);
    } catch (const std::exception& e) {
      channel.send("error", {{"error", e.what()}});
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kreg-agent: %s\n", e.what());
  }
  std::fflush(nullptr);
  kreg::guest::power_off();
}
