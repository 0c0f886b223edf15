// QEMU's command line for a VmSpec (declared in qemu_vm.hpp): the machine,
// the kernel command line and the devices, as an execve-style argv.
#include <string>
#include <vector>

#include "vm/boot/qemu_vm.hpp"

namespace kreg {

std::string kernel_append(const VmSpec& spec) {
  // panic=-1 + QEMU -no-reboot turns a panic into a QEMU exit; oops=panic so
  // an oops cannot leave a half-dead guest measuring nonsense. no_timer_check:
  // under TCG on a loaded host the boot-time IO-APIC timer check can miss its
  // ticks and panic ("IO-APIC + timer doesn't work!"), seen in a CI run here.
  // cryptomgr.notests: the crypto self-tests took 0.2 s of a 2 s boot under
  // TCG (crypto_algapi_init in initcall_debug on 6.1), and no job uses crypto.
  std::string append = "console=ttyS0 panic=-1 oops=panic rdinit=/init loglevel=4 no_timer_check cryptomgr.notests";
  // The guest's TSC is the host's (host_tsc.hpp), read under one lock in QEMU,
  // so it is synchronised across vCPUs too: tsc=reliable keeps it the
  // clocksource. Without it 5.10 with 2 vCPUs under TCG finds "TSCs
  // unsynchronized" and times everything with the HPET (pc) or jiffies
  // (microvm, which has no HPET), and benchmarks read a slow or coarse clock.
  if (spec.tsc_khz > 0) append += " tsc_early_khz=" + std::to_string(spec.tsc_khz) + " tsc=reliable";
  if (!spec.extra_append.empty()) append += " " + spec.extra_append;
  return append;
}

std::vector<std::string> qemu_argv(const VmSpec& spec) {
  const bool microvm = spec.machine == QemuMachine::Microvm;
  std::vector<std::string> argv = {spec.qemu_binary};
  if (microvm) argv.insert(argv.end(), {"-machine", "microvm"});
  argv.insert(argv.end(), {"-nodefaults", "-no-user-config", "-accel", to_string(spec.accelerator)});
  if (spec.accelerator == Accelerator::Kvm) argv.insert(argv.end(), {"-cpu", "host"});
  argv.insert(argv.end(), {"-smp", std::to_string(spec.vcpus), "-m", std::to_string(spec.memory_mib), "-kernel",
                           spec.kernel, "-initrd", spec.initrd, "-append", kernel_append(spec),
                           // No network at all; no display, no monitor, no terminal: CI has no stdin.
                           "-nic", "none", "-display", "none", "-monitor", "none", "-no-reboot", "-serial",
                           "file:" + spec.console_log, "-serial", "file:" + spec.results_log});
  if (microvm) {
    // microvm wires up only the first -serial; the records go to COM2 as on pc.
    argv.insert(argv.end(), {"-device", "isa-serial,chardev=serial1,iobase=0x2f8,irq=3"});
  } else {
    // No PCI hotplug: its ACPI code for 32 slots made acpi_init 0.3 s of a
    // 7.3 boot under TCG (0.18 s without); every device here is cold-plugged.
    argv.insert(argv.end(), {"-global", "PIIX4_PM.acpi-root-pci-hotplug=off", "-global",
                             "PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off"});
  }
  // cache=unsafe: the disk is scratch, thrown away after the run; host
  // fsyncs would only add noise to the guest's page-cache measurements.
  if (!spec.disk_image.empty()) {
    const std::string drive = "file=" + spec.disk_image + ",format=raw,cache=unsafe";
    if (microvm)
      argv.insert(argv.end(), {"-drive", drive + ",if=none,id=scratch", "-device", "virtio-blk-device,drive=scratch"});
    else
      argv.insert(argv.end(), {"-drive", drive + ",if=virtio"});
  }
  return argv;
}

}  // namespace kreg
