#include "scenarios/pause_loop_generator.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>

#include "scenarios/cgroup_lib.hpp"
#include "scenarios/generator_table.hpp"
#include "scenarios/kernel_counters.hpp"
#include "scenarios/memcg_counts.hpp"
#include "scenarios/pause_loop_parts.hpp"
#include "scenarios/pause_pods.hpp"

namespace kreg {

namespace {

using namespace pause_loop;

// Kernel refusals are results (GeneratorError); anything else is a bug or a
// broken host (runtime_error).
[[noreturn]] void fail_with(const std::string& operation, int err, const std::string& message) {
  if (err == ENOSPC || err == ENOMEM || err == EAGAIN) throw GeneratorError(operation, err, message);
  throw std::runtime_error(message);
}

CgroupPtr memory_and_pids(const std::string& name) {
  CgroupPtr cg = make_cgroup(name, "memory");
  if (!cgroup_add_controller(cg.get(), "pids")) throw std::runtime_error("cannot add pids to cgroup " + name);
  return cg;
}

struct Pod {
  std::string name;
  bool made = false;  // its cgroups exist (until teardown removes them)
  pid_t sandbox = -1, pause = -1;
};

class PauseLoopGenerator final : public Generator {
 public:
  PauseLoopGenerator(const nlohmann::json& params, const GeneratorContext& context);
  ~PauseLoopGenerator() override { cleanup(); }
  std::string object_name() const override { return "pods"; }
  void advance_to(int64_t target, const TickFn& tick) override;
  int64_t created() const override { return created_; }
  void prepare() override;
  nlohmann::json measure() const override;
  std::vector<StatRead> stat_reads() const override;
  void cleanup() noexcept override;

 private:
  Pod create_pod();
  void teardown(Pod& pod);
  void create(const std::string& name);
  void remove(const std::string& name);

  GeneratorContext context_;
  const Options options_;                       // owns the strings plan_ points to
  ChildPlan plan_;                              // the part of every pod's plan that never changes
  std::string base_, memory_, pids_;            // base_ = <cgroup_root>/<parent>
  std::vector<std::string> made_parents_;       // cgroups below the root we mkdir'd, outermost first
  std::deque<Pod> live_;                        // oldest first
  std::vector<std::string> leftovers_, files_;  // cgroups whose rmdir failed; page-cache files
  int64_t created_ = 0, next_id_ = 0;
};

// One directory per hierarchy: two on cgroup v1 (memory and pids mounted
// apart), one on v2 where both controllers share the unified tree.
std::vector<std::string> hierarchy_dirs(const std::string& memory, const std::string& pids, const std::string& name) {
  if (memory == pids) return {memory + "/" + name};
  return {memory + "/" + name, pids + "/" + name};
}

PauseLoopGenerator::PauseLoopGenerator(const nlohmann::json& params, const GeneratorContext& context)
    : context_(context), options_(parse_options(params)) {
  plan_.paths = options_.sysctl_paths;
  for (const auto& value : options_.sysctl_values) plan_.values.push_back(value ? value->c_str() : nullptr);
  plan_.host_proc = options_.host_proc;
}

void PauseLoopGenerator::prepare() {
  const std::string& parent = options_.parent;
  memory_ = controller_mount_point("memory");
  pids_ = controller_mount_point("pids");
  base_ = context_.cgroup_root + "/" + parent;
  // Remember which cgroups below the root we make: cleanup removes those, the
  // caller owns the root.
  for (size_t slash = 0; slash != std::string::npos;) {
    slash = parent.find('/', slash + 1);
    std::string name = context_.cgroup_root + "/" + parent.substr(0, slash);
    for (const auto& dir : hierarchy_dirs(memory_, pids_, name))
      if (!std::filesystem::exists(dir)) {
        made_parents_.push_back(name);
        break;
      }
  }
  create_cgroup(memory_and_pids(base_).get());
  enable_subtree_controllers(memory_, base_, {"memory", "pids"});
  if (options_.page_cache_bytes > 0) std::filesystem::create_directories(context_.scratch_dir);
}

// The pod's cgroups are made with mkdir itself, not libcgroup: its create
// costs ~40 us more per cgroup and its mkdir -p repeats 14 mkdirs per pod
// (see cgroup_lib.hpp), and it turns ENOSPC/ENOMEM into ECGROUPNOTALLOWED.
void PauseLoopGenerator::create(const std::string& name) {
  for (const auto& dir : hierarchy_dirs(memory_, pids_, name)) {
    if (mkdir(dir.c_str(), 0755) != 0) {
      int err = errno;
      leftovers_.push_back(name);  // it may exist in the other hierarchy
      fail_with("mkdir", err, kName + ": cannot create cgroup " + name + ": " + std::strerror(err));
    }
  }
}

// One rmdir per hierarchy, as a runtime removes a pod's cgroups: no
// libcgroup cgroup per pod, and the kernel's errno reaches the report
// (libcgroup hides it). Not measurably faster in kreg run speed (0.85 of the
// raw floor before, 0.87 after, within run-to-run scatter): the gap is
// forking the agent.
void PauseLoopGenerator::remove(const std::string& name) {
  for (const auto& dir : hierarchy_dirs(memory_, pids_, name)) rmdir_cgroup_fast(dir);
}

Pod PauseLoopGenerator::create_pod() {
  Pod pod;
  std::string id = std::to_string(++next_id_);
  pod.name = base_ + "/pod-" + id;
  create(pod.name);
  pod.made = true;

  ChildPlan plan = plan_;
  plan.hostname = "pod-" + id;
  if (options_.page_cache_bytes > 0) {
    plan.page_cache_bytes = options_.page_cache_bytes;
    plan.page_cache_path = context_.scratch_dir + "/pause-loop-" + std::to_string(getpid()) + "-pod-" + id;
    files_.push_back(plan.page_cache_path);
  }
  int go[2], report[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    leftovers_.push_back(pod.name);  // (a leaked fd pair on the second failure: the process is out of fds anyway)
    throw std::runtime_error(kName + ": pipe: " + std::strerror(errno));
  }
  pid_t self = getpid();
  pod.sandbox = fork();
  if (pod.sandbox == 0) {
    close(go[1]);
    close(report[0]);
    sandbox_main(plan, go[0], report[1], self);
  }
  int fork_errno = errno;
  close(go[0]);
  close(report[1]);
  Report failure{-1, 0, 0, 0};
  std::string error;
  if (pod.sandbox < 0) {
    failure = {kFork, fork_errno, 0, 0};
  } else {
    // As a runtime does: into the cgroup before the sandbox runs anything.
    try {
      for (const auto& dir : hierarchy_dirs(memory_, pids_, pod.name)) write_pid_fast(dir, pod.sandbox);
      (void)!write(go[1], "g", 1);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  close(go[1]);  // without a byte the sandbox exits untouched
  for (bool ready = false; failure.step < 0 && error.empty() && !(ready && pod.pause > 0);) {
    pollfd p{report[0], POLLIN, 0};
    int polled = poll(&p, 1, 30'000);
    if (polled < 0 && errno == EINTR) continue;
    Report r{kNoReport, polled == 0 ? ETIMEDOUT : 0, 0, 0};
    if (polled > 0 && read(report[0], &r, sizeof r) != sizeof r) r = {kNoReport, 0, 0, 0};
    if (r.step == kReady)
      ready = true;
    else if (r.step == kPausePid)
      pod.pause = r.pid;
    else
      failure = r;
  }
  close(report[0]);
  if (failure.step < 0 && error.empty()) return pod;

  try {
    teardown(pod);
  } catch (const std::exception&) {  // the first failure is the one to report
  }
  if (!error.empty()) throw std::runtime_error(kName + ": " + error);
  std::string operation = kStepNames[std::clamp<int32_t>(failure.step, 0, kNoReport)], what = operation;
  if (failure.step == kSysctlOpen || failure.step == kSysctlIo) what += " " + plan_.paths.at(failure.index);
  fail_with(operation, failure.err,
            kName + ": " + pod.name + ": " + what + ": " + (failure.err ? std::strerror(failure.err) : "child died"));
}

void PauseLoopGenerator::teardown(Pod& pod) {
  if (pod.sandbox > 0) {
    // The pause pid cannot have been reaped (and reused) while its parent, the
    // sandbox, still runs; the sandbox is our child, so its pid stays ours.
    siginfo_t info{};
    bool running =
        waitid(P_PID, static_cast<id_t>(pod.sandbox), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
    // Killing PID 1 of the pid namespace ends the namespace; without its pid,
    // killing the sandbox fires the pause process's PDEATHSIG instead.
    if (running) kill(pod.pause > 0 ? pod.pause : pod.sandbox, SIGKILL);
    while (waitpid(pod.sandbox, nullptr, 0) < 0 && errno == EINTR) {
    }
    pod.sandbox = -1;
  }
  if (!pod.made) return;
  pod.made = false;
  try {
    remove(pod.name);
  } catch (...) {
    leftovers_.push_back(pod.name);
    throw;
  }
}

void PauseLoopGenerator::advance_to(int64_t target, const TickFn& tick) {
  while (created_ < target) {
    Pod pod = create_pod();
    ++created_;
    live_.push_back(std::move(pod));
    // fail_fast has keep == 0: the pod just made goes at once.
    while (static_cast<int64_t>(live_.size()) > options_.keep) {
      Pod old = std::move(live_.front());
      live_.pop_front();
      teardown(old);
    }
    if (tick && (created_ % 64 == 0 || created_ == target)) tick(created_);
  }
}

nlohmann::json PauseLoopGenerator::measure() const {
  nlohmann::json m = {{"pods_created", created_}, {"pods_live", count_live_pods(memory_ + "/" + base_)}};
  MemcgCounts memcgs = count_memcgs(memory_);
  if (memcgs.dying >= 0) {
    m["memcg_dying"] = memcgs.dying;
    m["memcg_dying_source"] = memcgs.dying_source;
  }
  nlohmann::json counters = read_kernel_counters();
  for (const char* key : {"slab_net_namespace_active_objs", "dentry_nr_dentry"})
    if (counters.contains(key)) m[key] = counters[key];
  return m;
}

std::vector<StatRead> PauseLoopGenerator::stat_reads() const {
  return resolve_stat_paths(generator_info(kName).stat_paths, {memory_, "", "", context_.cgroup_mode});
}

void PauseLoopGenerator::cleanup() noexcept {
  auto report = [](const std::exception& e) { std::fprintf(stderr, "%s: cleanup: %s\n", kName.c_str(), e.what()); };
  for (; !live_.empty(); live_.pop_back()) try {
      teardown(live_.back());
    } catch (const std::exception& e) {
      report(e);
    }
  // Leftover pod cgroups first, then our parents innermost first.
  std::vector<std::string> names;
  names.swap(leftovers_);
  names.insert(names.end(), made_parents_.rbegin(), made_parents_.rend());
  made_parents_.clear();
  for (const auto& name : names) try {
      remove(name);
    } catch (const std::exception& e) {
      report(e);
      leftovers_.push_back(name);  // a later cleanup tries again
    }
  for (const auto& file : files_) unlink(file.c_str());
  files_.clear();
}

}  // namespace

void check_pause_loop_params(const nlohmann::json& params) { parse_options(params); }

std::unique_ptr<Generator> construct_pause_loop_generator(const nlohmann::json& params,
                                                          const GeneratorContext& context) {
  return std::make_unique<PauseLoopGenerator>(params, context);
}

}  // namespace kreg
