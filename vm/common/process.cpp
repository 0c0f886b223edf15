#include "vm/common/process.hpp"

#include <fcntl.h>
#include <spawn.h>
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

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  auto program = find_program(argv.at(0));
  if (!program) throw KregError("program '" + argv[0] + "' not found on PATH (run ./setup.sh to install it)");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_null) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!options.stdout_path.empty())
    posix_spawn_file_actions_addopen(&actions, 1, options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (options.stderr_path == "=stdout")
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  else if (!options.stderr_path.empty())
    posix_spawn_file_actions_addopen(&actions, 2, options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (options.own_process_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program->c_str(), &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw KregError("cannot start " + *program + ": " + std::strerror(rc));
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
    run.exit_code = wait_for_exit(spawn_process(argv, {working_dir, out_tmpl, err_tmpl, true}));
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
