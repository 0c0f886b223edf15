#include "vm/common/process_identity.hpp"
#include "vm/common/text_file.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>

namespace kreg {

namespace {

// Debian 12's glibc 2.36 declares pidfd_open without extern "C" (fixed in
// 2.37), so C++ cannot link it: the system calls directly.
int pidfd_open_(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_kill(int fd) { return static_cast<int>(syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0)); }

}  // namespace

const std::string& this_boot_id() {
  static const std::string id = [] {
    std::string text = read_file_or_empty("/proc/sys/kernel/random/boot_id");
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }();
  return id;
}

std::optional<ProcessIdentity> identify_process(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string stat = read_file_or_empty("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string state;
  fields >> state;  // field 3
  if (state.empty() || state == "Z" || state == "X") return std::nullopt;
  std::string skip;
  for (int field = 4; field < 22; ++field) fields >> skip;
  uint64_t start = 0;
  if (!(fields >> start)) return std::nullopt;
  return ProcessIdentity{pid, start, this_boot_id()};
}

bool is_running(const ProcessIdentity& process) {
  if (process.boot_id != this_boot_id()) return false;  // another boot or another machine
  auto now = identify_process(process.pid);
  return now && now->start_time == process.start_time;
}

std::string process_cmdline(pid_t pid) {
  std::string text = read_file_or_empty("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : text)
    if (c == '\0') c = ' ';
  if (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool kill_and_wait(const ProcessIdentity& process, double timeout_s) {
  if (process.boot_id != this_boot_id()) return true;  // not on this machine
  // A pidfd pins the process: once its start time checks out, the signal
  // cannot reach another process that reused the PID in between.
  int fd = pidfd_open_(process.pid);
  if (fd < 0) return !is_running(process);  // gone already (ESRCH)
  if (!is_running(process)) {
    close(fd);
    return true;
  }
  pidfd_kill(fd);  // kills a stopped process too
  // The pidfd turns readable when the process ends (it need not be our child).
  pollfd wait{fd, POLLIN, 0};
  int ready;
  while ((ready = poll(&wait, 1, static_cast<int>(timeout_s * 1000))) < 0 && errno == EINTR) {
  }
  close(fd);
  return ready > 0;
}

}  // namespace kreg
