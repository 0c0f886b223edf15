// How one kernel boots: which image QEMU is handed (the PVH ELF or the
// bzImage), on which QEMU machine, and what the guest is told about its TSC.
//
// microvm has no PCI bus, no SeaBIOS and a one-page ACPI table set, so a
// kernel that can use it skips PCI enumeration and most of acpi_init: under
// TCG it reached the agent 0.2-0.45 s sooner than pc on the same kernel and
// image (notes: A/B boots, 5.10-7.3). A kernel can when it has a PVH entry
// (microvm's firmware does not run the bzImage's real-mode setup here),
// virtio over MMIO (the scratch disk) and ACPI (microvm describes its
// virtio-mmio slots in ACPI; without it the kernel would need
// CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES). Debian's kernels can; x86_64_defconfig
// builds cannot (no CONFIG_PVH, no CONFIG_VIRTIO_MMIO) and keep the pc machine.
#pragma once

#include <string>
#include <vector>

#include "vm/boot/accelerator.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

enum class QemuMachine { Pc, Microvm };
std::string to_string(QemuMachine m);

struct BootPlan {
  std::string kernel;  // the file QEMU's -kernel gets
  std::string entry;   // "pvh" or "bzimage"
  QemuMachine machine = QemuMachine::Pc;
  std::string machine_reason;  // for the record, e.g. "microvm: PVH entry, CONFIG_VIRTIO_MMIO=m, CONFIG_ACPI=y"
  unsigned long tsc_khz = 0;   // handed to the guest (tsc_early_khz), 0 for none
};

// What the user asked for: "auto" picks by the kernel; "pc"/"microvm" and
// "bzimage"/"pvh" force, and a forced choice the kernel cannot boot throws
// KregError naming the kernel and the missing piece.
struct BootPreference {
  std::string machine = "auto";
  std::string entry = "auto";
};

// The names BootPreference takes, for the callers that check them early.
bool known_machine(const std::string& name);  // auto, pc, microvm
bool known_entry(const std::string& name);    // auto, pvh, bzimage

BootPlan plan_boot(const KernelImage& kernel, Accelerator accelerator, const BootPreference& preference = {});

// Why `config_text` (a kernel .config) cannot run on microvm, "" if it can.
std::string microvm_unfit_reason(const std::string& config_text);

// The modules (closure roots) the scratch disk needs on `machine`.
std::vector<std::string> scratch_disk_modules(QemuMachine machine);

}  // namespace kreg
