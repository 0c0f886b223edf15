// Starting host programs (apt-get, qemu, python3) the execve way: an argv
// vector, never a shell, so no argument is ever re-parsed.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace kreg {

// First executable `name` on $PATH (or `name` itself if it contains '/').
std::optional<std::string> find_program(const std::string& name);

struct SpawnOptions {
  std::string working_dir;         // "" = inherit
  std::string stdout_path;         // "" = inherit; else truncate+write this file
  std::string stderr_path;         // "" = inherit; "=stdout" = same file as stdout
  bool stdin_null = true;          // QEMU and apt must never wait on a terminal
  bool own_process_group = false;  // not signalled by the terminal's Ctrl-C
  // The child gets SIGKILL when the thread that started it ends, whatever
  // ends it (kreg killed with SIGKILL included): PR_SET_PDEATHSIG. The kernel
  // ties this to the *thread*, so only a thread that outlives the child (one
  // that waits for it, as run_vm and run_captured do) may ask for it.
  bool die_with_parent = false;
};

// Starts argv[0] (resolved with find_program) with fork + execve. The child
// inherits no descriptor of kreg's beyond 0-2 (a run's lock, another VM's
// logs), and an empty signal mask. Throws KregError naming the program if it
// cannot be started.
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// waitpid() for one child, retrying on EINTR; returns its exit code, or -1
// when a signal killed it.
int wait_for_exit(pid_t pid);

struct CapturedRun {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs to completion, capturing stdout and stderr (for short tools such as
// apt-cache and `qemu --version`). The tool dies with the calling thread.
CapturedRun run_captured(const std::vector<std::string>& argv, const std::string& working_dir = "");

}  // namespace kreg
