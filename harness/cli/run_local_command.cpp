// `kreg run --local` / `kreg scenario --local`: the jobs on the host kernel,
// stored exactly like VM records, with the machine marked as the host.
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "harness/cli/run_local_command.hpp"
#include "harness/matrix/local_run.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"
#include "harness/term/progress.hpp"
#include "vm/common/error.hpp"

namespace kreg {

namespace {

nlohmann::json host_kernel() {
  utsname u{};
  uname(&u);
  std::ifstream cmdline("/proc/cmdline");
  std::string line;
  std::getline(cmdline, line);
  return {{"release", u.release},
          {"version", u.version},
          {"machine", u.machine},
          {"cmdline", line},
          {"source", "host (--local)"}};
}

}  // namespace

RunResult run_local_command(const RunOptions& options, const Suite& suite, const nlohmann::json& jobs,
                            const std::string& run_id) {
  Progress progress;
  ResultStore store(options.results_root, run_id);
  nlohmann::json machine = {{"accelerator", "none"},
                            {"accelerator_reason", "--local: the host kernel, no VM"},
                            {"vcpus", std::thread::hardware_concurrency()},
                            {"memory_mib", nullptr},
                            {"host_cpus", std::thread::hardware_concurrency()}};
  const nlohmann::json kernel = host_kernel();
  nlohmann::json run = new_run_json(
      {run_id, suite.name, suite_to_json(suite),
       nlohmann::json::array({{{"spec", "host"}, {"label", kernel["release"]}, {"kernel", kernel}}}), machine});
  run["local"] = true;
  run["jobs"] = jobs["jobs"];
  store.write_run(run);
  progress.note("kreg: running " + std::to_string(jobs["jobs"].size()) + " job(s) on the host kernel " +
                kernel["release"].get<std::string>());
  nlohmann::json records;
  auto store_all = [&](const nlohmann::json& list) {
    for (nlohmann::json record : list) {
      stamp_job_record(record, run_id);
      record["kernel"] = kernel;
      record["machine"] = machine;
      record["timing"] = {{"boot_to_hello_s", nullptr}, {"job_s", record.value("job_s", 0.0)}};
      store.write_job(record.value("job_id", "unknown"), record);
    }
  };
  try {
    records = run_jobs_locally(jobs, records);
  } catch (const KregError& e) {
    store_all(records);  // what was measured before the interrupt stays
    run["status"] = "failed";
    run["failures"].push_back({{"reason", e.what()}});
    store.write_run(run);
    throw;
  }
  store_all(records);
  run["status"] = "ok";
  store.write_run(run);
  progress.note("kreg: " + std::to_string(records.size()) + " job(s) stored in " + store.dir());
  return {0, store.dir()};
}

}  // namespace kreg
