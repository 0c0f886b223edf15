// The parts of the pause-loop generator that need none of its state: its
// parameters, and the two processes of a pod as they run after fork (the
// "sandbox", the runtime's child that unshares the namespaces and stays the
// pause process's parent like a shim, and the pause process, PID 1 of the new
// pid namespace). Header-only so that the generator stays one .cpp to build;
// used only by scenarios/pause_loop_generator.cpp.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/generator.hpp"

namespace kreg::pause_loop {

inline const std::string kName = "pause-loop";

// The parameters documented in pause_loop_generator.hpp, checked.
struct Options {
  int64_t keep = 0;
  bool fail_fast = false, host_proc = false;
  size_t page_cache_bytes = 0;
  std::string parent;
  std::vector<std::string> sysctl_paths;                  // "/proc/sys/..."
  std::vector<std::optional<std::string>> sysctl_values;  // nullopt: open + read
};

inline Options parse_options(const nlohmann::json& given) {
  if (!given.is_null() && !given.is_object())
    throw std::invalid_argument(kName + ": parameters must be an object, got " + given.dump());
  const nlohmann::json params = given.is_null() ? nlohmann::json::object() : given;
  // Unknown keys are refused by the generator table (scenarios/generator_table.cpp).
  Options o;
  o.keep = int_param(params, kName, "keep", 0, 0, 1'000'000);
  if (params.contains("fail_fast") && !params["fail_fast"].is_boolean())
    throw std::invalid_argument(kName + ": 'fail_fast' must be true or false, got " + params["fail_fast"].dump());
  o.fail_fast = params.value("fail_fast", false);
  if (o.fail_fast && o.keep != 0)
    throw std::invalid_argument(kName + ": 'keep' must be 0 when 'fail_fast' is true (each pod dies at once), got " +
                                std::to_string(o.keep));
  o.host_proc = choice_param(params, kName, "sysctl_proc", "pod", {"pod", "host"}) == "host";
  o.page_cache_bytes = static_cast<size_t>(int_param(params, kName, "page_cache_bytes", 0, 0, int64_t{1} << 32));
  o.parent = string_param(params, kName, "parent", "kubepods");
  if (o.parent.front() == '/' || o.parent.back() == '/' || o.parent.find("..") != std::string::npos)
    throw std::invalid_argument(kName + ": 'parent' must be a relative cgroup path without '..', got " + o.parent);

  // Defaults: the seed's two lookups (runc's Go runtime reads somaxconn), and
  // the two sysctls containerd sets in every pod sandbox.
  nlohmann::json sysctls = params.value(
      "sysctls", nlohmann::json::array({{{"path", "net/ipv6/conf/all/disable_ipv6"}},
                                        {{"path", "net/core/somaxconn"}},
                                        {{"path", "net/ipv4/ip_unprivileged_port_start"}, {"value", "0"}},
                                        {{"path", "net/ipv4/ping_group_range"}, {"value", "0 2147483647"}}}));
  auto bad = [&](const std::string& why) {
    throw std::invalid_argument(kName + ": 'sysctls' " + why + ", got " + sysctls.dump());
  };
  if (!sysctls.is_array()) bad("must be an array of {\"path\": \"net/...\", \"value\": \"...\"}");
  for (const auto& entry : sysctls) {
    if (!entry.is_object() || !entry.contains("path")) bad("entries need a \"path\"");
    for (const auto& [key, value] : entry.items())
      if ((key != "path" && key != "value") || !value.is_string()) bad("entries hold only string path and value");
    std::string path = entry["path"];
    if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos)
      bad("paths are relative to /proc/sys, without '..'");
    o.sysctl_paths.push_back("/proc/sys/" + path);
    o.sysctl_values.push_back(entry.contains("value") ? std::optional(entry["value"].get<std::string>())
                                                      : std::nullopt);
  }
  return o;
}

// What a child was doing when it failed; the generator names it in errors.
enum Step : int32_t {
  kReady,
  kPausePid,
  kUnshare,
  kPrivate,
  kPipe,
  kFork,
  kPrctl,
  kMountProc,
  kSysctlOpen,
  kSysctlIo,
  kHostname,
  kPageCache,
  kNoReport
};
inline const char* const kStepNames[] = {"ready",
                                         "pause pid",
                                         "unshare",
                                         "make mounts private",
                                         "pipe",
                                         "fork",
                                         "prctl",
                                         "mount proc",
                                         "open sysctl",
                                         "read/write sysctl",
                                         "sethostname",
                                         "write page cache",
                                         "no report from the pod"};

// One fixed-size record per write(): far below PIPE_BUF, so the records of the
// sandbox and the pause process never interleave on their shared pipe.
struct Report {
  int32_t step, err, index, pid;
};

// All a child needs, built before fork: after fork the children make only
// async-signal-safe calls (the generator may be multi-threaded), no allocation.
struct ChildPlan {
  std::vector<std::string> paths;   // "/proc/sys/..."
  std::vector<const char*> values;  // nullptr: open + read
  std::string hostname, page_cache_path;
  size_t page_cache_bytes = 0;
  bool host_proc = false;  // sysctl I/O through the /proc inherited from the host, before our own is mounted
};

inline void send(int fd, int32_t step, int32_t err, int32_t index = 0, int32_t pid = 0) {
  Report r{step, err, index, pid};
  (void)!write(fd, &r, sizeof r);
}
[[noreturn]] inline void die(int fd, int32_t step, size_t index = 0) {
  send(fd, step, errno, static_cast<int32_t>(index));
  _exit(1);
}

inline void sysctl_io(const ChildPlan& plan, int report) {
  char buf[512];
  for (size_t i = 0; i < plan.paths.size(); ++i) {
    const char* value = plan.values[i];
    int fd = open(plan.paths[i].c_str(), (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) die(report, kSysctlOpen, i);
    if ((value ? write(fd, value, strlen(value)) : read(fd, buf, sizeof buf)) < 0) die(report, kSysctlIo, i);
    close(fd);
  }
}

[[noreturn]] inline void pause_main(const ChildPlan& plan, int report, int life) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(report, kPrctl);
  // getppid() is 0 for a pid namespace's init, so learn whether the sandbox
  // died before PDEATHSIG was armed from its end of `life` instead.
  pollfd alive{life, POLLIN, 0};
  if (poll(&alive, 1, 0) != 0) _exit(1);
  close(life);
  // /proc/sys/net answers for the caller's netns through any proc mount, but
  // the dentries hang off that mount's superblock: the host's (host_proc, as
  // runc's Go runtime and dockerd's "exe" in the seed) or the pod's own.
  if (plan.host_proc) sysctl_io(plan, report);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) die(report, kMountProc);
  if (!plan.host_proc) sysctl_io(plan, report);
  if (sethostname(plan.hostname.data(), plan.hostname.size()) != 0) die(report, kHostname);
  if (plan.page_cache_bytes > 0) {
    char buf[4096];
    int fd = open(plan.page_cache_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die(report, kPageCache);
    memset(buf, 'k', sizeof buf);
    for (size_t left = plan.page_cache_bytes; left > 0;) {
      ssize_t n = write(fd, buf, left < sizeof buf ? left : sizeof buf);
      if (n <= 0) die(report, kPageCache);
      left -= static_cast<size_t>(n);
    }
    close(fd);
  }
  send(report, kReady, 0);
  close(report);
  for (;;) pause();
}

[[noreturn]] inline void sandbox_main(const ChildPlan& plan, int go, int report, pid_t generator) {
  // PDEATHSIG follows the forking *thread* of the generator: fine for a sweep.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != generator) _exit(1);
  char token;
  if (read(go, &token, 1) != 1) _exit(1);  // no byte: the generator could not attach us
  close(go);
  if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0) die(report, kUnshare);
  // Keeps the pod's proc mount out of the host's mount namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die(report, kPrivate);
  int life[2];
  if (pipe2(life, O_CLOEXEC) != 0) die(report, kPipe);
  pid_t pause_pid = _Fork();  // unlike fork(), async-signal-safe (no atfork handlers)
  if (pause_pid < 0) die(report, kFork);
  if (pause_pid == 0) {
    close(life[1]);
    pause_main(plan, report, life[0]);
  }
  close(life[0]);
  send(report, kPausePid, 0, 0, pause_pid);
  close(report);
  // Stay its parent, as a shim does: the pause process is reaped here and our
  // exit tells the generator it is gone, so the generator never signals a
  // reaped (reusable) pid.
  int status;
  while (waitpid(pause_pid, &status, 0) < 0 && errno == EINTR) {
  }
  _exit(0);
}

}  // namespace kreg::pause_loop
