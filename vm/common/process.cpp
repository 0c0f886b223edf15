#include "vm/common/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vm/common/error.hpp"

extern char** environ;

namespace kreg {

std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

namespace {

// What the child reports through the exec pipe when a step fails.
struct ChildFailure {
  int step;  // index into kChildSteps
  int error;
};
constexpr const char* kChildSteps[] = {"open /dev/null", "open stdout", "open stderr", "chdir", "exec"};

// Between fork and exec only async-signal-safe calls: another thread may
// have held malloc's lock at the fork.
[[noreturn]] void child_fail(int pipe_fd, int step) {
  ChildFailure f{step, errno};
  (void)!write(pipe_fd, &f, sizeof f);
  _exit(127);
}

bool redirect(const char* path, int flags, int target) {
  int fd = open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  // dup2 clears FD_CLOEXEC on the copy.
  bool ok = dup2(fd, target) == target;
  close(fd);
  return ok;
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  auto program = find_program(argv.at(0));
  if (!program) throw KregError("program '" + argv[0] + "' not found on PATH (run ./setup.sh to install it)");
  // Everything the child needs is built before the fork.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const char* out_path = options.stdout_path.empty() ? nullptr : options.stdout_path.c_str();
  const bool err_to_out = options.stderr_path == "=stdout";
  const char* err_path = options.stderr_path.empty() || err_to_out ? nullptr : options.stderr_path.c_str();
  const char* dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) throw KregError("cannot start " + *program + ": pipe: " + std::strerror(errno));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    throw KregError("cannot start " + *program + ": fork: " + std::strerror(saved));
  }
  if (pid == 0) {
    close(exec_pipe[0]);
    if (options.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      // The parent may have died before prctl took effect: then nobody
      // would ever kill this child, so it must not start at all.
      if (getppid() != parent) _exit(127);
    }
    if (options.own_process_group) setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.stdin_null && !redirect("/dev/null", O_RDONLY, 0)) child_fail(exec_pipe[1], 0);
    if (out_path && !redirect(out_path, O_WRONLY | O_CREAT | O_TRUNC, 1)) child_fail(exec_pipe[1], 1);
    if (err_to_out && dup2(1, 2) != 2) child_fail(exec_pipe[1], 2);
    if (err_path && !redirect(err_path, O_WRONLY | O_CREAT | O_TRUNC, 2)) child_fail(exec_pipe[1], 2);
    if (dir && chdir(dir) != 0) child_fail(exec_pipe[1], 3);
    // kreg's own descriptors (a run's lock, other VMs' logs) stay out of the
    // child; the exec pipe closes with them. Older kernels lack the call:
    // kreg's own files are O_CLOEXEC, so nothing is lost but the belt.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(program->c_str(), args.data(), environ);
    child_fail(exec_pipe[1], 4);
  }
  close(exec_pipe[1]);
  ChildFailure failure{};
  ssize_t n;
  while ((n = read(exec_pipe[0], &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {  // the exec did not happen
    waitpid(pid, nullptr, 0);
    std::string what = kChildSteps[failure.step];
    if (failure.step == 1) what += " " + options.stdout_path;
    if (failure.step == 2 && err_path) what += " " + options.stderr_path;
    if (failure.step == 3) what += " " + options.working_dir;
    throw KregError("cannot start " + *program + ": " + what + ": " + std::strerror(failure.error));
  }
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CapturedRun run_captured(const std::vector<std::string>& argv, const std::string& working_dir) {
  // Files rather than pipes: no deadlock when a tool fills both streams.
  char out_tmpl[] = "/tmp/kreg-out-XXXXXX";
  char err_tmpl[] = "/tmp/kreg-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl), err_fd = mkstemp(err_tmpl);
  if (out_fd < 0 || err_fd < 0)
    throw KregError(std::string("cannot create temporary file in /tmp: ") + std::strerror(errno));
  close(out_fd);
  close(err_fd);
  CapturedRun run;
  try {
    SpawnOptions options{working_dir, out_tmpl, err_tmpl, true};
    options.die_with_parent = true;  // this thread waits for it
    run.exit_code = wait_for_exit(spawn_process(argv, options));
  } catch (...) {
    unlink(out_tmpl);
    unlink(err_tmpl);
    throw;
  }
  auto slurp = [](const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  run.out = slurp(out_tmpl);
  run.err = slurp(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return run;
}

}  // namespace kreg
