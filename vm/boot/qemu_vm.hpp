// One QEMU virtual machine: boot, watch, collect its result frames, and
// tell exactly how it ended. A VM that hangs, panics or never says hello is
// killed and reported with its console tail; it never hangs the caller.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "vm/boot/accelerator.hpp"
#include "vm/boot/boot_plan.hpp"
#include "vm/channel/record_frame.hpp"

namespace kreg {

struct VmSpec {
  std::string qemu_binary = "qemu-system-x86_64";
  std::string kernel;  // bzImage, or its PVH ELF (BootPlan::kernel)
  QemuMachine machine = QemuMachine::Pc;
  unsigned long tsc_khz = 0;  // the guest's TSC rate, told to it; 0: let it calibrate
  std::string initrd;         // cpio from build_guest_image
  std::string extra_append;   // appended to kreg's kernel command line
  std::string console_log;    // ttyS0 goes here
  std::string results_log;    // ttyS1 (the framed records) goes here
  std::string qemu_log;       // QEMU's own stdout/stderr
  std::string disk_image;     // raw ext4 scratch disk on virtio-blk, "" for none
  Accelerator accelerator = Accelerator::Tcg;
  int vcpus = 2;
  int memory_mib = 1024;
  double hello_timeout_s = 120;  // QEMU start to the agent's hello frame, all boots together
  // A boot that stalls before hello is killed and booted again, up to this
  // many boots in all; the first gets a third of hello_timeout_s. Under TCG
  // with 2 vCPUs, 3 of 606 microvm boots of 6.1 here livelocked in the
  // kernel's int3 text patching (both vCPUs looping in asm_exc_int3 right
  // after "sched_clock: Marking stable"; 0 of 460 on pc, too few to call pc
  // free of it): a race in QEMU's multi-threaded TCG, not the kernel under
  // test, and the same image boots on the next try.
  int boot_attempts = 2;
  double timeout_s = 1800;  // whole VM
  // Set by the caller (Ctrl-C): the VM is killed and ends as Stopped.
  const std::atomic<bool>* stop = nullptr;
  // Called once QEMU runs, with its PID (the caller records it, so that a
  // later kreg can find what a killed one left behind).
  std::function<void(pid_t)> on_start;
  // Texts to time on the console (host clock since QEMU start), e.g. the
  // decompressor's "Booting the kernel" for the boot benchmark.
  std::vector<std::string> console_marks;
};

// CorruptFrame: a frame on ttyS1 failed its length or CRC-32 check. Nothing
// after it is trusted, so the VM is killed at once.
enum class VmEnd { Done, NoHello, Timeout, Panic, ExitedEarly, Stopped, CorruptFrame };
std::string to_string(VmEnd end);

struct VmOutcome {
  VmEnd end = VmEnd::ExitedEarly;
  std::string reason;           // one line, for the user
  double boot_to_hello_s = -1;  // host clock
  double done_s = -1;           // host clock at the guest's "done" frame; wall_s - done_s is teardown
  double wall_s = 0;
  size_t frames = 0;
  size_t corrupt_frames = 0;
  std::string console_tail;                      // last lines of the console
  int boots = 1;                                 // this boot's number, from 1 (VmSpec::boot_attempts)
  std::string stalled_boot_tail;                 // console tail of the last boot that stalled, if any
  std::string stalled_console_log;               // where that boot's whole console was kept
  std::map<std::string, double> console_mark_s;  // VmSpec::console_marks seen, and when
};

// The exact argv QEMU is started with (execve-style; exposed for tests).
std::vector<std::string> qemu_argv(const VmSpec& spec);
std::string kernel_append(const VmSpec& spec);

// Boots and watches the VM; `on_frame` sees every verified frame as it
// arrives (the caller stores job records right away), with the outcome so
// far: boot_to_hello_s is set from the hello frame on. QEMU dies with the
// calling thread (PR_SET_PDEATHSIG): call it from a thread that lives until
// it returns. If a callback throws, QEMU is killed and reaped first.
VmOutcome run_vm(const VmSpec& spec, const std::function<void(const Frame&, const VmOutcome&)>& on_frame);

// Last `lines` lines of a text file ("" if unreadable).
std::string file_tail(const std::string& path, size_t lines);

}  // namespace kreg
