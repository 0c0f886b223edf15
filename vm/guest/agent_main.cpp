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
#include "scenarios/memcg_counts.hpp"
#include "vm/guest/guest_environment.hpp"
#include "vm/guest/guest_system.hpp"
#include "vm/guest/result_channel.hpp"

namespace {

constexpr const char* kJobsPath = "/kreg/jobs.json";
constexpr const char* kResultDevice = "/dev/ttyS1";

nlohmann::json kernel_identity() {
  utsname u{};
  uname(&u);
  return {{"release", u.release}, {"version", u.version}, {"machine", u.machine},
          {"cmdline", kreg::guest::kernel_cmdline()}, {"nprocs", sysconf(_SC_NPROCESSORS_ONLN)}};
}

nlohmann::json run_job(const nlohmann::json& job, kreg::guest::GuestEnvironment& env,
                       kreg::guest::ResultChannel& channel) {
  // Only jobs that make cgroups need a hierarchy: a netns or dentry job must
  // also run on kernels without memcg v1 (6.12+ cloud builds).
  const std::string scenario = job.value("scenario", "");
  if (scenario == "memcg-churn" || scenario == "pause-loop" || job.value("kind", "sweep") == "speed")
    env.use_cgroup_mode(job.value("cgroup_mode", "v1"));
  kreg::SweepEnvironment sweep;
  sweep.context = env.context();
  auto progress = [&](const nlohmann::json& p) { channel.send("progress", p); };
  nlohmann::json record = kreg::run_job(job, sweep, progress);
  kreg::guest::reap_orphans();
  return record;
}

void run_all(kreg::guest::ResultChannel& channel) {
  nlohmann::json jobs = nlohmann::json::parse(kreg::read_text_file(kJobsPath));
  kreg::guest::GuestEnvironment env;
  nlohmann::json hello = {{"kernel", kernel_identity()}, {"jobs", jobs.at("jobs").size()}};
  if (jobs.value("scratch_disk", false)) {
    try {
      hello["scratch_disk"] = env.mount_scratch_disk();
    } catch (const std::exception& e) {
      hello["scratch_disk_error"] = e.what();  // jobs that need it fail with a clear reason
    }
  }
  channel.send("hello", hello);
  for (const auto& job : jobs.at("jobs")) {
    nlohmann::json record;
    try {
      record = run_job(job, env, channel);
    } catch (const std::exception& e) {
      record = {{"status", "failed"}, {"error", {{"message", e.what()}}}, {"points", nlohmann::json::array()}};
    }
    record["job_id"] = job.at("job_id");
    record["job"] = job;
    record["kernel"] = kernel_identity();
    channel.send("job", record);
  }
  channel.send("done", {{"jobs", jobs.at("jobs").size()}});
}

}  // namespace

int main() {
  kreg::guest::mount_basics();
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
