#include "scenarios/netns_generator.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "scenarios/close_fds.hpp"
#include "scenarios/generator_table.hpp"
#include "scenarios/kernel_counters.hpp"

namespace kreg {

namespace {

constexpr const char* kName = "netns";

// What the child tells the parent, in one pipe write (atomic: < PIPE_BUF).
enum Stage : int { kDone = 0, kPrctl, kUnshare, kOpen, kRead };
struct Report {
  int stage = kDone;
  int err = 0;
  int index = 0;  // which sysctl, for kOpen/kRead
};

[[noreturn]] void sys_fail(const std::string& op, const std::string& what) {
  int err = errno;
  throw GeneratorError(op, err, std::string(kName) + ": " + what + ": " + std::strerror(err));
}

std::vector<std::string> sysctl_param(const nlohmann::json& p) {
  std::vector<std::string> def = {"net/ipv6/conf/all/disable_ipv6", "net/core/somaxconn"};
  if (!p.contains("sysctls")) return def;
  const auto& v = p["sysctls"];
  auto bad = [&] {
    return std::invalid_argument(std::string(kName) +
                                 ": 'sysctls' must be an array of paths relative to /proc/sys without '..', got " +
                                 v.dump());
  };
  if (!v.is_array()) throw bad();
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) throw bad();
    std::string s = e.get<std::string>();
    // Components, not substrings: "net/../x" escapes /proc/sys, "..x" would not.
    if (s.empty() || s.front() == '/' || s == ".." || s.starts_with("../") || s.ends_with("/..") ||
        s.find("/../") != std::string::npos)
      throw bad();
    out.push_back(std::move(s));
  }
  return out;
}

bool live_param(const nlohmann::json& p) { return choice_param(p, kName, "mode", "dead", {"dead", "live"}) == "live"; }

bool write_all(int fd, const void* buf, size_t n) {
  while (write(fd, buf, n) < 0)
    if (errno != EINTR) return false;
  return true;
}

[[noreturn]] void fail_exit(int wfd, Report r) {
  write_all(wfd, &r, sizeof r);
  _exit(1);
}

// The child's whole life. We are a fork of a possibly multi-threaded
// process: only async-signal-safe calls, nothing that allocates.
[[noreturn]] void child_body(int wfd, bool live, pid_t parent, const char* const* paths, size_t n) {
  // Inherited handlers would run the parent's code here (Ctrl-C reaches the
  // whole process group, held children included): back to the defaults.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 32; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  Report r;
  if (live) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail_exit(wfd, {kPrctl, errno, 0});
    // The parent may have died before the prctl: then nobody would kill us.
    if (getppid() != parent) _exit(1);
    // A held child must not keep the parent's other fds (pipes whose readers
    // wait for EOF, sockets) open for its whole life.
    if (wfd > 3) close_fds(3, static_cast<unsigned>(wfd) - 1);
    close_fds(static_cast<unsigned>(wfd) + 1, ~0U);
  }
  if (unshare(CLONE_NEWNET) != 0) fail_exit(wfd, {kUnshare, errno, 0});
  // open()+read() as runc does: the lookup instantiates this netns' dentries.
  char buf[64];
  for (size_t i = 0; i < n; ++i) {
    int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      r = {kOpen, errno, static_cast<int>(i)};
    else if (read(fd, buf, sizeof buf) < 0)
      r = {kRead, errno, static_cast<int>(i)};
    if (fd >= 0) close(fd);
    if (r.stage != kDone) fail_exit(wfd, r);
  }
  write_all(wfd, &r, sizeof r);
  if (!live) _exit(0);
  close(wfd);
  for (;;) pause();  // holds the netns until SIGKILL (cleanup or parent death)
}

class NetnsGenerator : public Generator {
 public:
  NetnsGenerator(const nlohmann::json& p, const GeneratorContext&) {
    live_ = live_param(p);
    for (auto& s : sysctl_param(p)) paths_.push_back("/proc/sys/" + s);
    for (const auto& s : paths_) cpaths_.push_back(s.c_str());  // paths_ never changes again
  }
  NetnsGenerator(const NetnsGenerator&) = delete;  // cpaths_ points into paths_
  NetnsGenerator& operator=(const NetnsGenerator&) = delete;
  ~NetnsGenerator() override { cleanup(); }

  std::string object_name() const override { return "netns"; }
  int64_t created() const override { return created_; }

  void advance_to(int64_t target, const TickFn& tick) override {
    // No reallocation inside the loop: a SIGINT-path cleanup() then always
    // sees a consistent held_.
    if (live_ && target > created_) held_.reserve(static_cast<size_t>(std::min<int64_t>(target, 1 << 22)));
    while (created_ < target) {
      create_one();
      ++created_;
      if (tick && created_ % 64 == 0) tick(created_);
    }
  }

  nlohmann::json measure() const override {
    nlohmann::json m = {{"netns_created", created_}, {"netns_live", live_children()}};
    auto c = read_kernel_counters();
    for (const char* key : {"slab_net_namespace_active_objs", "dentry_nr_dentry"})
      if (c.contains(key)) m[key] = c[key];
    // sysctl_dentries_est: the hash-chain length is not exported by the
    // kernel; left out rather than guessed.
    return m;
  }

  std::vector<std::string> traced_functions() const override {
    return {"__d_lookup", "__d_lookup_rcu", "proc_sys_compare"};
  }

  std::vector<StatRead> stat_reads() const override {
    // open() and stat() from init_net: the lookups that walk the chain.
    std::vector<StatRead> reads = resolve_stat_paths(generator_info(kName).stat_paths, {});
    // Non-default sysctls are timed too: theirs are the chains that grow.
    for (const auto& path : paths_) {
      bool known = false;
      for (const auto& r : reads) known = known || r.path == path;
      if (known) continue;
      std::string metric = "sysctl_" + path.substr(std::strlen("/proc/sys/")) + "_open";
      for (char& ch : metric) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      reads.push_back({metric, path, "open"});
    }
    return reads;
  }

  // Only kill/waitpid/waitid: usable after SIGINT, even from a handler.
  void cleanup() noexcept override {
    int saved = errno;
    for (pid_t pid : held_)
      if (is_our_child(pid)) kill(pid, SIGKILL);  // never signal a recycled pid
    for (pid_t pid : held_)
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    held_.clear();
    errno = saved;
  }

 private:
  void create_one() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) sys_fail("pipe", "pipe");
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      int err = errno;
      close(fds[0]);
      close(fds[1]);
      errno = err;
      sys_fail("fork", "fork after " + std::to_string(created_) + " namespaces");
    }
    if (pid == 0) {
      close(fds[0]);
      child_body(fds[1], live_, self, cpaths_.data(), cpaths_.size());
    }
    if (live_) held_.push_back(pid);  // before blocking: cleanup() may come from a signal path
    close(fds[1]);
    Report r;
    ssize_t got;
    while ((got = read(fds[0], &r, sizeof r)) < 0 && errno == EINTR) {
    }
    close(fds[0]);
    if (live_ && got == static_cast<ssize_t>(sizeof r) && r.stage == kDone) return;  // it now holds the netns

    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (live_ && !held_.empty() && held_.back() == pid) held_.pop_back();   // unless a cleanup() came first
    if (got == static_cast<ssize_t>(sizeof r) && r.stage == kDone) return;  // dead mode: done
    if (got != static_cast<ssize_t>(sizeof r))
      throw GeneratorError("child", ECHILD,
                           std::string(kName) + ": child died without reporting (wait status " +
                               std::to_string(status) + ") after " + std::to_string(created_) + " namespaces");
    std::string after = " after " + std::to_string(created_) + " namespaces: " + std::strerror(r.err);
    switch (r.stage) {
      case kPrctl:
        throw GeneratorError("prctl", r.err, std::string(kName) + ": prctl(PR_SET_PDEATHSIG)" + after);
      case kUnshare:
        throw GeneratorError("unshare", r.err, std::string(kName) + ": unshare(CLONE_NEWNET)" + after);
      default:
        throw GeneratorError(r.stage == kOpen ? "open" : "read", r.err,
                             std::string(kName) + ": " + (r.stage == kOpen ? "open " : "read ") + paths_.at(r.index) +
                                 " in a new netns" + after);
    }
  }

  // Our child, alive or a zombie (a zombie's pid cannot be reused).
  static bool is_our_child(pid_t pid) {
    siginfo_t info = {};
    return waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
  }

  // Held children still running. WNOWAIT: look without reaping (measure is const).
  int64_t live_children() const {
    int64_t n = 0;
    for (pid_t pid : held_) {
      siginfo_t info = {};
      if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0) ++n;
    }
    return n;
  }

  bool live_ = false;
  std::vector<std::string> paths_;
  std::vector<const char*> cpaths_;
  std::vector<pid_t> held_;
  int64_t created_ = 0;
};

}  // namespace

void check_netns_params(const nlohmann::json& params) {
  live_param(params);
  sysctl_param(params);
}

std::unique_ptr<Generator> construct_netns_generator(const nlohmann::json& params, const GeneratorContext& context) {
  return std::make_unique<NetnsGenerator>(params, context);
}

}  // namespace kreg
