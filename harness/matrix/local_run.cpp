#include "harness/matrix/local_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bench/job_runner.hpp"
#include "scenarios/kernel_files.hpp"
#include "scenarios/memcg_counts.hpp"
#include "vm/common/error.hpp"
#include "vm/common/source_dir.hpp"

namespace kreg {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

// The mount points of every cgroup (v1) and cgroup2 hierarchy.
std::vector<std::string> cgroup_mounts() {
  std::vector<std::string> out;
  for (const MountEntry& m : parse_mounts(read_text_file("/proc/mounts")))
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") out.push_back(m.target);
  return out;
}

void kill_procs_in(const fs::path& dir) {
  std::ifstream procs(dir / "cgroup.procs");
  for (pid_t pid; procs >> pid;) kill(pid, SIGKILL);
}

// Depth-first rmdir; processes are killed first, and a cgroup whose tasks
// are still exiting gets a few retries.
void remove_tree(const fs::path& dir, std::vector<std::string>& removed) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) remove_tree(entry.path(), removed);
  kill_procs_in(dir);
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (rmdir(dir.c_str()) == 0) {
      removed.push_back(dir.string());
      return;
    }
    if (errno != EBUSY) return;
    usleep(20000);
  }
}

// Runs in the worker: every job, records written to `fd` as one JSON line each.
[[noreturn]] void worker_main(const nlohmann::json& jobs, const SweepEnvironment& env, int fd) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  for (const auto& job : jobs.at("jobs")) {
    nlohmann::json record;
    try {
      record = run_job(job, env, [](const nlohmann::json&) {});
    } catch (const std::exception& e) {
      record = {{"status", "failed"}, {"error", {{"message", e.what()}}}, {"points", nlohmann::json::array()}};
    }
    record["job_id"] = job.value("job_id", "?");
    record["job"] = job;
    std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    for (size_t off = 0; off < line.size();) {
      ssize_t n = write(fd, line.data() + off, line.size() - off);
      if (n <= 0) _exit(3);
      off += static_cast<size_t>(n);
    }
  }
  _exit(0);
}

}  // namespace

void remove_stale_local_subtrees() {
  // kreg-local-<pid> cgroups and /tmp/kreg-local-<pid>-* scratch directories
  // are kreg's by name; one whose kreg is gone was left by a kreg that was
  // SIGKILLed before it could clean up.
  auto stale = [](const fs::path& p) {
    std::string name = p.filename();
    if (name.rfind("kreg-local-", 0) != 0) return false;
    pid_t owner = std::atoi(name.c_str() + 11);
    return owner > 0 && kill(owner, 0) != 0 && errno == ESRCH;
  };
  std::error_code ec;
  for (const std::string& mount : cgroup_mounts()) {
    for (const auto& entry : fs::directory_iterator(mount, ec)) {
      std::vector<std::string> removed;
      if (entry.is_directory(ec) && stale(entry.path())) remove_tree(entry.path(), removed);
    }
  }
  for (const auto& entry : fs::directory_iterator("/tmp", ec))
    if (entry.is_directory(ec) && stale(entry.path())) fs::remove_all(entry.path(), ec);
}

std::vector<std::string> remove_cgroup_subtrees(const std::string& cgroup_root) {
  std::vector<std::string> removed;
  for (const std::string& mount : cgroup_mounts()) {
    fs::path dir = fs::path(mount) / cgroup_root;
    std::error_code ec;
    if (fs::is_directory(dir, ec)) remove_tree(dir, removed);
  }
  return removed;
}

nlohmann::json run_jobs_locally(const nlohmann::json& jobs, nlohmann::json& partial_records) {
  if (geteuid() != 0) throw KregError("--local needs root (it creates cgroups and namespaces)");
  SweepEnvironment env;
  env.context.local = true;
  env.context.cgroup_root = "kreg-local-" + std::to_string(getpid());
  std::string tmpl_text = "/tmp/kreg-local-" + std::to_string(getpid()) + "-XXXXXX";
  std::vector<char> tmpl(tmpl_text.begin(), tmpl_text.end());
  tmpl.push_back('\0');
  if (!mkdtemp(tmpl.data()))
    throw KregError(std::string("cannot create a scratch directory in /tmp: ") + std::strerror(errno));
  env.context.scratch_dir = tmpl.data();
  fs::path bin = fs::read_symlink("/proc/self/exe").parent_path();
  env.statbench = (bin / "kreg-statbench").string();
  env.raw_dir = (bin / "raw").string();
  env.context.memcg_spawner = (bin / "kreg-memcg-spawner").string();
  env.busybox = "/bin/busybox";
  env.poc_script = source_dir() + "/bench/memcg_poc.sh";

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw KregError(std::string("pipe: ") + std::strerror(errno));
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  remove_stale_local_subtrees();
  const pid_t parent = getpid();
  pid_t worker = fork();
  if (worker < 0) throw KregError(std::string("fork: ") + std::strerror(errno));
  if (worker == 0) {
    setpgid(0, 0);  // its own group: kreg can kill everything it started at once
    // If kreg itself is killed (SIGKILL leaves it no chance to clean up), the
    // worker must not churn on alone; its own children die with it likewise.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    close(fds[0]);
    worker_main(jobs, env, fds[1]);
  }
  setpgid(worker, worker);
  close(fds[1]);

  partial_records = nlohmann::json::array();
  std::string buffer;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      if (g_signal) break;
      continue;
    }
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1))
      partial_records.push_back(nlohmann::json::parse(buffer.substr(0, nl)));
  }
  close(fds[0]);
  kill(-worker, SIGKILL);  // the worker and everything it started (children, pause processes)
  int status = 0;
  waitpid(worker, &status, 0);
  remove_cgroup_subtrees(env.context.cgroup_root);
  std::error_code ec;
  fs::remove_all(env.context.scratch_dir, ec);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (g_signal)
    throw KregError(std::string("interrupted by ") + strsignal(g_signal) + "; removed everything --local created", 130);
  if (partial_records.size() != jobs.at("jobs").size())
    throw KregError("the local worker died after " + std::to_string(partial_records.size()) + " of " +
                    std::to_string(jobs.at("jobs").size()) + " jobs (status " + std::to_string(status) + ")");
  return partial_records;
}

}  // namespace kreg
