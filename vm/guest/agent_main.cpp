// kreg-agent: PID 1 of the guest. Mounts what it needs, says hello on the
// result channel, runs every job of /kreg/jobs.json, sends one record per
// job, says done and powers off. It never exits (PID 1 exiting panics the
// kernel); every failure becomes a record or an "error" frame instead.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "scenarios/memcg_counts.hpp"
#include "vm/guest/guest_system.hpp"
#include "vm/guest/memcg_dying_job.hpp"
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

nlohmann::json run_job(const nlohmann::json& job, kreg::guest::ResultChannel& channel) {
  auto progress = [&](const nlohmann::json& p) { channel.send("progress", p); };
  std::string scenario = job.value("scenario", "");
  if (scenario == "memcg-dying") return kreg::guest::run_memcg_dying_job(job, progress);
  throw std::invalid_argument("unknown scenario '" + scenario + "'");
}

void run_all(kreg::guest::ResultChannel& channel) {
  nlohmann::json jobs = nlohmann::json::parse(kreg::read_text_file(kJobsPath));
  channel.send("hello", {{"kernel", kernel_identity()}, {"jobs", jobs.at("jobs").size()}});
  for (const auto& job : jobs.at("jobs")) {
    nlohmann::json record;
    try {
      record = run_job(job, channel);
    } catch (const std::exception& e) {
      record = {{"status", "failed"}, {"error", e.what()}, {"points", nlohmann::json::array()}};
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
