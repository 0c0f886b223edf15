#include "vm/boot/qemu_vm.hpp"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include "vm/common/process.hpp"

namespace kreg {

std::string to_string(VmEnd end) {
  switch (end) {
    case VmEnd::Done:
      return "done";
    case VmEnd::NoHello:
      return "no-hello";
    case VmEnd::Timeout:
      return "timeout";
    case VmEnd::Panic:
      return "panic";
    case VmEnd::ExitedEarly:
      return "exited-early";
    case VmEnd::Stopped:
      return "stopped";
    case VmEnd::CorruptFrame:
      return "corrupt-frame";
  }
  return "unknown";
}

std::string file_tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& line : tail) out += line + "\n";
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

// Reads whatever was appended to `path` since the last call.
class FileFollower {
 public:
  explicit FileFollower(std::string path) : path_(std::move(path)) {}
  std::string read_new() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return "";
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset_ += data.size();
    return data;
  }

 private:
  std::string path_;
  size_t offset_ = 0;
};

// Kills and reaps QEMU unless it was reaped already, also when a frame
// callback throws: no QEMU outlives the run_vm that started it.
class QemuProcess {
 public:
  explicit QemuProcess(pid_t pid) : pid_(pid) {}
  QemuProcess(const QemuProcess&) = delete;
  QemuProcess& operator=(const QemuProcess&) = delete;
  ~QemuProcess() { kill_and_reap(); }
  pid_t pid() const { return pid_; }
  // True once it has exited on its own (status in `status`).
  bool exited(int& status) {
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ < 0;
  }
  void kill_and_reap() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

bool console_shows_panic(const std::string& console_log) {
  std::string tail = file_tail(console_log, 60);
  return tail.find("Kernel panic") != std::string::npos;
}

}  // namespace

// One boot. `stalled` is set when the guest said nothing before
// `hello_deadline_s` while QEMU still ran: the case run_vm boots again.
static VmOutcome run_vm_once(const VmSpec& spec, int boot, double hello_deadline_s,
                             const std::function<void(const Frame&, const VmOutcome&)>& on_frame, bool& stalled) {
  VmOutcome outcome;
  outcome.boots = boot;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  // Truncate both serial logs first so a follower never reads a previous VM's bytes.
  std::ofstream(spec.console_log, std::ios::trunc).close();
  std::ofstream(spec.results_log, std::ios::trunc).close();
  // A process group of its own: Ctrl-C on the terminal reaches kreg only,
  // which then stops the VM itself and keeps what it already measured.
  // die_with_parent: whatever kills kreg (SIGKILL included) kills QEMU too.
  SpawnOptions options{"", spec.qemu_log, "=stdout", true, true};
  options.die_with_parent = true;
  QemuProcess qemu(spawn_process(qemu_argv(spec), options));
  if (spec.on_start) spec.on_start(qemu.pid());

  FileFollower results(spec.results_log), console(spec.console_log);
  std::string console_seen;  // only while marks are still to be found
  auto watch_console = [&] {
    if (outcome.console_mark_s.size() == spec.console_marks.size()) return;
    console_seen += console.read_new();
    for (const auto& mark : spec.console_marks)
      if (!outcome.console_mark_s.contains(mark) && console_seen.find(mark) != std::string::npos)
        outcome.console_mark_s[mark] = elapsed();
  };
  FrameDecoder decoder;
  bool hello = false, done = false, exited = false, corrupt = false;
  int status = 0;
  // Line by line, so that nothing after a rejected frame is handed on:
  // once a frame fails its check, the stream is not trusted any more.
  auto drain = [&] {
    const std::string data = results.read_new();
    for (size_t at = 0; at < data.size() && !corrupt;) {
      size_t nl = data.find('\n', at);
      size_t end = nl == std::string::npos ? data.size() : nl + 1;
      decoder.feed(std::string_view(data).substr(at, end - at));
      at = end;
      corrupt = decoder.corrupt() > 0;
      if (corrupt) break;
      for (const Frame& f : decoder.take()) {
        ++outcome.frames;
        if (f.type == "hello" && !hello) {
          hello = true;
          outcome.boot_to_hello_s = elapsed();
        }
        if (f.type == "done" && !done) {
          done = true;
          outcome.done_s = elapsed();
        }
        on_frame(f, outcome);
      }
    }
  };
  for (;;) {
    watch_console();
    drain();
    if (corrupt) {
      outcome.end = VmEnd::CorruptFrame;
      outcome.reason = "ttyS1 stream rejected: " + decoder.first_rejection();
      break;
    }
    if (qemu.exited(status)) {
      exited = true;
      drain();  // QEMU flushed the serial files on exit
      break;
    }
    // After "done" the guest has nothing more to say: its power-off (sync of
    // a scratch disk with a million dentries, tearing down live netns) took
    // up to 7 s of a unit's wall. QEMU is killed instead, counted as exited.
    if (done) {
      exited = true;
      break;
    }
    if (spec.stop && spec.stop->load()) {
      outcome.end = VmEnd::Stopped;
      outcome.reason = "stopped on request (Ctrl-C, SIGTERM, or a write the results directory refused)";
      break;
    }
    if (!hello && elapsed() > hello_deadline_s) {
      stalled = true;
      outcome.end = VmEnd::NoHello;
      outcome.reason = "the guest agent did not say hello within " + std::to_string(int(spec.hello_timeout_s)) + " s";
      break;
    }
    if (elapsed() > spec.timeout_s) {
      outcome.end = VmEnd::Timeout;
      outcome.reason = "the VM ran past its " + std::to_string(int(spec.timeout_s)) + " s timeout";
      break;
    }
    // 5 ms until hello (boot_to_hello_s is read off this loop), then 100 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(hello ? 100 : 5));
  }
  qemu.kill_and_reap();
  if (exited && !done && decoder.corrupt() > 0) {  // rejected in the final drain
    exited = false;
    outcome.end = VmEnd::CorruptFrame;
    outcome.reason = "ttyS1 stream rejected: " + decoder.first_rejection();
  }
  if (exited && !done && spec.stop && spec.stop->load()) {
    // SIGTERM from a batch system reaches QEMU and kreg alike: a stop.
    exited = false;
    outcome.end = VmEnd::Stopped;
    outcome.reason = "stopped on request (QEMU got the signal too)";
  }
  outcome.wall_s = elapsed();
  outcome.corrupt_frames = decoder.corrupt();
  if (exited) {
    if (done) {
      outcome.end = VmEnd::Done;
    } else if (console_shows_panic(spec.console_log)) {
      outcome.end = VmEnd::Panic;
      outcome.reason = "the guest kernel panicked";
      // "Kernel panic - not syncing: System is deadlocked on memory" / "Out of memory and no killable processes"
      std::string tail = file_tail(spec.console_log, 60);
      if (tail.find("Out of memory") != std::string::npos || tail.find("deadlocked on memory") != std::string::npos)
        outcome.reason += " (out of memory: give the VM more with --memory or [vm] memory_mib)";
    } else {
      outcome.end = hello ? VmEnd::ExitedEarly : VmEnd::NoHello;
      std::string qemu_said = file_tail(spec.qemu_log, 1);
      if (!qemu_said.empty() && qemu_said.back() == '\n') qemu_said.pop_back();
      outcome.reason = std::string("QEMU exited before the guest ") + (hello ? "finished" : "said hello") +
                       (qemu_said.empty() ? "" : " (QEMU: " + qemu_said + ")");
    }
  }
  if (outcome.end != VmEnd::Done) outcome.console_tail = file_tail(spec.console_log, 25);
  return outcome;
}

VmOutcome run_vm(const VmSpec& spec, const std::function<void(const Frame&, const VmOutcome&)>& on_frame) {
  const int boots = std::max(1, spec.boot_attempts);
  double spent_s = 0;
  std::string stalled_tail, stalled_log;
  for (int boot = 1;; ++boot) {
    const bool last = boot == boots;
    // The first boot gets a third of the budget: a healthy one says hello in
    // seconds, so a stall is caught early and the whole wait stays as given.
    const double deadline_s = last ? spec.hello_timeout_s - spent_s : spec.hello_timeout_s / 3;
    bool stalled = false;
    VmOutcome outcome = run_vm_once(spec, boot, deadline_s, on_frame, stalled);
    spent_s += outcome.wall_s;
    if (!stalled || last) {
      outcome.wall_s = spent_s;
      outcome.stalled_boot_tail = stalled_tail;
      outcome.stalled_console_log = stalled_log;
      if (stalled && boot > 1) outcome.reason += " (" + std::to_string(boot) + " boots, each stalled)";
      return outcome;
    }
    // The stalled boot's console stays beside the next one's, as evidence.
    stalled_tail = outcome.console_tail;
    stalled_log = spec.console_log + ".stalled-boot-" + std::to_string(boot);
    std::error_code ec;
    std::filesystem::rename(spec.console_log, stalled_log, ec);
  }
}

}  // namespace kreg
