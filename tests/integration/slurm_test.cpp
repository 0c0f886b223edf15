// A real single-host Slurm cluster (munged, slurmctld and slurmd on loopback,
// configured in a temporary directory, stopped afterwards): a plan of four
// shards goes through `kreg submit slurm` as one job array plus a dependent
// merge job; every unit's record must come back exactly once, and
// `kreg compare` must run on the merged run. Done with one and with two
// slurmd CPUs, printing the wall time of each. And a shard runner killed
// with SIGKILL inside its job takes its QEMU with it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "tests/integration/background_kreg.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Six one-VM units (smoke's jobs at tiny sweeps, both cgroup modes, twice):
// enough for four non-empty shards.
const char* kSuite = R"(name = "shards"
description = "smoke's jobs at tiny sweeps, twice: six one-VM units for the Slurm test"
kernels = ["debian:bookworm:6.1"]
cgroup_modes = ["v1", "v2"]
repetitions = 2

[vm]
vcpus = 1
timeout_s = 300
hello_timeout_s = 120

[[job]]
id = "memcg-churn/tmpfs-4096"
scenario = "memcg-churn"
params = { page_cache = "tmpfs", page_cache_bytes = 4096 }
targets = [0, 20]
samples = 10
warmup = 2

[[job]]
id = "netns/live"
scenario = "netns"
params = { mode = "live" }
targets = [0, 5]
samples = 10
warmup = 2
)";

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

int mem_total_mib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long kb = 0;
  in >> key >> kb;
  return static_cast<int>(kb / 1024);
}

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Stops a daemon we started: SIGTERM, then SIGKILL after 10 s.
void stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

class SlurmCluster {
 public:
  explicit SlurmCluster(int cpus) {
    fs::permissions(dir_.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
    for (const char* d : {"munge-key", "munge-run", "state", "spool", "log"})
      fs::create_directories(dir_.path + "/" + d);
    fs::permissions(dir_.path + "/munge-key", fs::perms::owner_all);  // munged insists
    const std::string key = dir_.path + "/munge-key/munge.key", socket = dir_.path + "/munge-run/munge.socket";
    {
      std::ifstream random("/dev/urandom", std::ios::binary);
      std::string bytes(1024, '\0');
      random.read(bytes.data(), bytes.size());
      std::ofstream(key, std::ios::binary) << bytes;
    }
    fs::permissions(key, fs::perms::owner_read);
    munged_ = spawn_process(
        {"munged", "--foreground", "--force", "--socket=" + socket, "--key-file=" + key,
         "--log-file=" + dir_.path + "/log/munged.log", "--pid-file=" + dir_.path + "/munge-run/munged.pid",
         "--seed-file=" + dir_.path + "/munge-key/munged.seed"},
        {"", dir_.path + "/log/munged.out", "=stdout", true, true});
    wait_for([&] { return fs::exists(socket); }, "munged's socket");

    conf_ = dir_.path + "/slurm.conf";
    std::ofstream(conf_) << "ClusterName=kregtest\n"
                            "SlurmctldHost=localhost\n"
                         << "SlurmctldPort=" << free_port() << "\nSlurmdPort=" << free_port() << "\n"
                         << "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=" << socket << "\n"
                         << "SlurmUser=root\nSlurmdUser=root\n"
                         << "StateSaveLocation=" << dir_.path << "/state\nSlurmdSpoolDir=" << dir_.path << "/spool\n"
                         << "SlurmctldPidFile=" << dir_.path << "/slurmctld.pid\nSlurmdPidFile=" << dir_.path
                         << "/slurmd.pid\n"
                         << "SlurmctldLogFile=" << dir_.path << "/log/slurmctld.log\nSlurmdLogFile=" << dir_.path
                         << "/log/slurmd.log\n"
                         << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
                            "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
                            "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU_Memory\n"
                            "SchedulerType=sched/backfill\nSchedulerParameters=sched_interval=1\n"
                            "MpiDefault=none\nSwitchType=switch/none\nReturnToService=2\nMinJobAge=600\n"
                         << "NodeName=localhost NodeAddr=127.0.0.1 CPUs=" << cpus
                         << " RealMemory=" << mem_total_mib() - 1024 << " State=UNKNOWN\n"
                         << "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n";
    setenv("SLURM_CONF", conf_.c_str(), 1);  // sbatch, squeue, scontrol (and kreg submit's sbatch) read it
    ctld_ = spawn_process({"slurmctld", "-D", "-i", "-f", conf_},
                          {"", dir_.path + "/log/slurmctld.out", "=stdout", true, true});
    wait_for([&] { return run_captured({"scontrol", "ping"}).out.find("UP") != std::string::npos; }, "slurmctld");
    slurmd_ = spawn_process({"slurmd", "-D", "-N", "localhost", "-f", conf_},
                            {"", dir_.path + "/log/slurmd.out", "=stdout", true, true});
    wait_for([&] { return run_captured({"sinfo", "-h", "-o", "%T"}).out.rfind("idle", 0) == 0; }, "slurmd (node idle)");
  }
  ~SlurmCluster() {
    for (const auto& id : submitted) run_captured({"scancel", id});
    stop(slurmd_);
    stop(ctld_);
    stop(munged_);
    unsetenv("SLURM_CONF");
  }
  const std::string& dir() const { return dir_.path; }
  // JobState of a job, "" while unknown.
  std::string job_state(const std::string& id) {
    std::smatch m;
    std::string out = run_captured({"scontrol", "show", "job", id, "-o"}).out;
    return std::regex_search(out, m, std::regex("JobState=(\\S+)")) ? m[1].str() : "";
  }
  std::vector<std::string> submitted;

 private:
  template <class F>
  void wait_for(F ready, const std::string& what) {
    for (int i = 0; i < 300; ++i) {
      if (ready()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error(what + " did not come up; logs in " + dir_.path +
                             "/log: " + text_of(dir_.path + "/log/slurmctld.log").substr(0, 2000) +
                             text_of(dir_.path + "/log/slurmd.log").substr(0, 2000));
  }
  TempDir dir_;
  std::string conf_;
  pid_t munged_ = -1, ctld_ = -1, slurmd_ = -1;
};

class SlurmShards : public ::testing::TestWithParam<int> {};

TEST_P(SlurmShards, JobArrayOfFourShardsMergesIntoEveryUnitExactlyOnce) {
  ASSERT_EQ(geteuid(), 0u) << "the test cluster runs slurmd as root (SlurmUser=root)";
  const int cpus = GetParam();
  SlurmCluster cluster(cpus);
  const std::string results = cluster.dir() + "/results", plan_id = "slurm-" + std::to_string(cpus) + "cpu";
  std::ofstream(cluster.dir() + "/shards.toml") << kSuite;
  CapturedRun plan =
      run_kreg({"plan", cluster.dir() + "/shards.toml", "--shards", "4", "--results", results, "--run-id", plan_id});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const std::string plan_file = results + "/" + plan_id + "/plan.json";
  nlohmann::json planned = read_json(plan_file);
  ASSERT_EQ(planned["shards"].size(), 4u);
  for (const auto& s : planned["shards"]) ASSERT_FALSE(s["units"].empty()) << "every shard has work";

  auto start = Clock::now();
  CapturedRun submit = run_kreg({"submit", "slurm", plan_file, "--results", results});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  std::smatch ids;
  ASSERT_TRUE(std::regex_search(submit.out, ids, std::regex("^(\\d+) (\\d+)"))) << submit.out;
  const std::string array_id = ids[1], merge_id = ids[2];
  cluster.submitted = {array_id, merge_id};
  EXPECT_NE(text_of(results + "/" + plan_id + "/slurm/shards.sbatch").find("#SBATCH --array=0-3"), std::string::npos);

  std::string state;
  while (std::chrono::duration<double>(Clock::now() - start).count() < 600) {
    state = cluster.job_state(merge_id);
    if (state == "COMPLETED" || state == "FAILED" || state == "CANCELLED" || state == "TIMEOUT" || state == "NODE_FAIL")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string run_dir = results + "/" + plan_id;
  ASSERT_EQ(state, "COMPLETED") << "merge job " << merge_id << ": " << text_of(run_dir + "/slurm/merge.out")
                                << text_of(run_dir + "/slurm/shard-0.out");
  std::printf("[slurm] %zu units in 4 shards, slurmd CPUs=%d: submit to merged in %.1f s\n", planned["units"].size(),
              cpus, wall);
  RecordProperty("wall_s_" + std::to_string(cpus) + "cpu", std::to_string(wall));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(cluster.job_state(array_id + "_" + std::to_string(i)), "COMPLETED") << "array task " << i;

  // Every planned unit exactly once in the merged run, its record present.
  nlohmann::json run = read_json(run_dir + "/run.json");
  EXPECT_EQ(run["status"], "ok");
  EXPECT_EQ(run["schema_version"], 2);
  ASSERT_EQ(run["units"].size(), planned["units"].size());
  EXPECT_EQ(run["merged"]["units_merged"], planned["units"].size());
  std::map<std::string, int> seen;
  for (const auto& u : run["units"]) {
    ++seen[u["unit_id"]];
    EXPECT_EQ(u["status"], "ok") << u.dump();
    nlohmann::json record = read_json(run_dir + "/" + u["record"].get<std::string>());
    EXPECT_EQ(record["unit"]["unit_id"], u["unit_id"]);
  }
  for (const auto& u : planned["units"]) EXPECT_EQ(seen[u["unit_id"]], 1) << u["unit_id"];
  // ... and exactly one shard holds each record.
  std::map<std::string, int> in_shards;
  for (const auto& e : fs::recursive_directory_iterator(run_dir + "/shards"))
    if (e.path().extension() == ".json" && e.path().parent_path().parent_path().filename() == "jobs")
      ++in_shards[fs::relative(e.path(), e.path().parent_path().parent_path().parent_path()).string()];
  ASSERT_EQ(in_shards.size(), planned["units"].size());
  for (const auto& [record, n] : in_shards) EXPECT_EQ(n, 1) << record;

  // The merged run against itself: every metric compared, none regressed
  // (exit 1 would be a regression, 2 nothing compared).
  CapturedRun compare = run_kreg({"compare", run_dir, run_dir});
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
  EXPECT_NE(compare.out.find("metrics:"), std::string::npos) << compare.out << compare.err;
}

// kill -9 on a shard runner inside its Slurm job: `scancel --batch
// --signal=KILL` reaches only the batch step's process, which is kreg (the
// sbatch script execs it). Its QEMU must die with it (PR_SET_PDEATHSIG)
// rather than run on outside the job, and running the shard again
// completes it in a new attempt directory.
TEST(SlurmShardKilled, QemuDiesWithTheKilledShardRunner) {
  ASSERT_EQ(geteuid(), 0u) << "the test cluster runs slurmd as root (SlurmUser=root)";
  SlurmCluster cluster(2);
  const std::string results = cluster.dir() + "/results", plan_id = "killed";
  std::ofstream(cluster.dir() + "/one.toml") << R"(name = "one"
kernels = ["debian:bookworm:6.1"]
cgroup_modes = ["v1"]
[vm]
vcpus = 1
timeout_s = 300
hello_timeout_s = 120
[[job]]
id = "netns/live"
scenario = "netns"
params = { mode = "live" }
targets = [0, 10, 20, 30]
samples = 10
warmup = 1
)";
  ASSERT_EQ(run_kreg({"plan", cluster.dir() + "/one.toml", "--shards", "1", "--results", results, "--run-id", plan_id})
                .exit_code,
            0);
  const std::string plan_file = results + "/" + plan_id + "/plan.json";
  CapturedRun submit = run_kreg({"submit", "slurm", plan_file, "--results", results});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  std::smatch ids;
  ASSERT_TRUE(std::regex_search(submit.out, ids, std::regex("^(\\d+) (\\d+)"))) << submit.out;
  const std::string array_id = ids[1];
  cluster.submitted = {array_id, ids[2]};
  const std::string shard_dir = results + "/" + plan_id + "/shards/0";
  auto guest_in_job = [&] {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(shard_dir + "/vm", ec))
      if (e.path().filename() == "console.log" &&
          text_of(e.path().string()).find("job netns/live starting") != std::string::npos)
        return true;
    return false;
  };
  ASSERT_TRUE(wait_until(300, guest_in_job)) << text_of(results + "/" + plan_id + "/slurm/shard-0.out");
  const auto qemus = qemu_pids_with(shard_dir + "/");
  ASSERT_EQ(qemus.size(), 1u);
  CapturedRun cancel = run_captured({"scancel", "--batch", "--signal=KILL", array_id + "_0"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  const auto sent = Clock::now();
  // Within 3 s: dying with kreg, not when Slurm gets round to cleaning up
  // the job (with proctrack/linuxproc here that took 8.6 s for a kreg
  // without PR_SET_PDEATHSIG; other proctrack plugins may never do it).
  EXPECT_TRUE(wait_until(3, [&] { return qemu_pids_with(shard_dir + "/").empty(); }))
      << "QEMU outlived the shard runner killed in its Slurm job";
  std::printf("[slurm] shard runner killed with SIGKILL: its QEMU gone %.0f ms after scancel\n",
              std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
  EXPECT_TRUE(processes_with(shard_dir + "/").empty());

  CapturedRun again = run_kreg({"run", "--plan", plan_file, "--shard", "0", "--results", results});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  nlohmann::json run = read_json(shard_dir + "/run.json");
  EXPECT_EQ(run["status"], "ok");
  ASSERT_EQ(run["units"].size(), 1u);
  EXPECT_EQ(run["units"][0]["attempt"], 2) << run["units"][0].dump();
}

INSTANTIATE_TEST_SUITE_P(SlurmdCpus, SlurmShards, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "cpu"; });

}  // namespace
}  // namespace kreg::test
