#include "vm/boot/boot_plan.hpp"

#include <fstream>
#include <sstream>

#include "vm/boot/host_tsc.hpp"
#include "vm/boot/pvh_kernel.hpp"
#include "vm/common/error.hpp"
#include "vm/kernels/kernel_features.hpp"

namespace kreg {

namespace {

std::string read_text(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string value_of(const KernelConfig& config, const std::string& option) {
  auto it = config.find(option);
  return it == config.end() ? "" : it->second;
}

}  // namespace

std::string to_string(QemuMachine m) { return m == QemuMachine::Microvm ? "microvm" : "pc"; }

std::string microvm_unfit_reason(const std::string& config_text) {
  if (config_text.empty()) return "no kernel config to check for virtio-mmio and ACPI";
  const KernelConfig config = parse_kernel_config(config_text);
  const std::string mmio = value_of(config, "CONFIG_VIRTIO_MMIO");
  if (mmio != "y" && mmio != "m") return "CONFIG_VIRTIO_MMIO is not set (the scratch disk is virtio-mmio on microvm)";
  if (value_of(config, "CONFIG_ACPI") != "y") return "CONFIG_ACPI is not set (microvm lists its devices in ACPI)";
  if (value_of(config, "CONFIG_SERIAL_8250") != "y") return "CONFIG_SERIAL_8250 is not built in";
  return "";
}

std::vector<std::string> scratch_disk_modules(QemuMachine machine) {
  if (machine == QemuMachine::Microvm) return {"virtio_mmio", "virtio_blk"};
  return {"virtio_pci", "virtio_blk"};
}

bool known_machine(const std::string& name) { return name == "auto" || name == "pc" || name == "microvm"; }
bool known_entry(const std::string& name) { return name == "auto" || name == "pvh" || name == "bzimage"; }

BootPlan plan_boot(const KernelImage& kernel, Accelerator accelerator, const BootPreference& preference) {
  const std::string& m = preference.machine;
  const std::string& e = preference.entry;
  if (!known_machine(m)) throw KregError("unknown machine '" + m + "': use auto, pc or microvm");
  if (!known_entry(e)) throw KregError("unknown kernel entry '" + e + "': use auto, pvh or bzimage");
  BootPlan plan;
  const std::string pvh = e == "bzimage" ? "" : pvh_kernel_for(kernel.vmlinuz);
  if (e == "pvh" && pvh.empty())
    throw KregError("kernel " + kernel.vmlinuz + " has no PVH entry (CONFIG_PVH): boot it with --entry bzimage");
  plan.kernel = pvh.empty() ? kernel.vmlinuz : pvh;
  plan.entry = pvh.empty() ? "bzimage" : "pvh";

  std::string unfit =
      pvh.empty() ? "no PVH entry (booted as a bzImage)" : microvm_unfit_reason(read_text(kernel.config_path));
  if (m == "microvm" && !unfit.empty())
    throw KregError("kernel " + kernel.vmlinuz + " cannot boot on microvm: " + unfit + "; use machine pc");
  if (m == "pc") {
    plan.machine_reason = "pc: asked for";
  } else if (unfit.empty()) {
    plan.machine = QemuMachine::Microvm;
    plan.machine_reason = "microvm: PVH entry, virtio-mmio and ACPI in the kernel";
  } else {
    plan.machine_reason = "pc: " + unfit;
  }
  // Only under TCG is the guest's TSC known to be the host's.
  if (accelerator == Accelerator::Tcg) plan.tsc_khz = host_tsc_khz();
  return plan;
}

}  // namespace kreg
