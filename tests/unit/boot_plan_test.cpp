// How a kernel boots (vm/boot/boot_plan): which QEMU machine its config
// allows, the argv each machine gets, and the TSC rate the guest is told.
// The real kernels boot both ways in the VM tests (Debian's on microvm, the
// source-built ones on pc).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/kernel_fixtures.hpp"
#include "vm/boot/boot_plan.hpp"
#include "vm/boot/host_tsc.hpp"
#include "vm/boot/qemu_vm.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {
namespace {

using test::fixture_config;

bool has(const std::vector<std::string>& argv, const std::string& arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

// The argument after `flag`, "" if none.
std::string after(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

TEST(BootPlan, EveryDebianKernelFitsMicrovm) {
  for (const char* release :
       {"5.10.0-32-cloud-amd64", "6.1.0-56-cloud-amd64", "6.12.117+deb13-cloud-amd64", "7.3.4+deb13-cloud-amd64"})
    EXPECT_EQ(microvm_unfit_reason(fixture_config(release)), "") << release;
}

TEST(BootPlan, DefconfigBuildLacksVirtioMmioAndStaysOnPc) {
  EXPECT_NE(microvm_unfit_reason(fixture_config("defconfig-6.1.192-kreg")).find("CONFIG_VIRTIO_MMIO is not set"),
            std::string::npos);
}

TEST(BootPlan, MissingAcpiOrSerialOrConfigIsNamed) {
  std::string config = fixture_config("6.1.0-56-cloud-amd64");
  std::string no_acpi = config;
  no_acpi.replace(no_acpi.find("CONFIG_ACPI=y"), 13, "# CONFIG_ACPI is not set");
  EXPECT_NE(microvm_unfit_reason(no_acpi).find("CONFIG_ACPI"), std::string::npos);
  std::string serial_module = config;
  serial_module.replace(serial_module.find("CONFIG_SERIAL_8250=y"), 20, "CONFIG_SERIAL_8250=m");
  EXPECT_NE(microvm_unfit_reason(serial_module).find("CONFIG_SERIAL_8250"), std::string::npos);
  EXPECT_NE(microvm_unfit_reason(""), "");
}

TEST(BootPlan, ScratchDiskModulesFollowTheBus) {
  EXPECT_EQ(scratch_disk_modules(QemuMachine::Microvm), (std::vector<std::string>{"virtio_mmio", "virtio_blk"}));
  EXPECT_EQ(scratch_disk_modules(QemuMachine::Pc), (std::vector<std::string>{"virtio_pci", "virtio_blk"}));
}

class BootPlanOnFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kreg-boot-plan-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    kernel_.vmlinuz = (dir_ / "vmlinuz").string();
    std::ofstream(kernel_.vmlinuz) << "not a bzImage";
    kernel_.config_path = (dir_ / "config").string();
    std::ofstream(kernel_.config_path) << fixture_config("6.1.0-56-cloud-amd64");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  KernelImage kernel_;
};

TEST_F(BootPlanOnFile, NoPvhEntryMeansBzimageOnPc) {
  BootPlan plan = plan_boot(kernel_, Accelerator::Tcg);
  EXPECT_EQ(plan.kernel, kernel_.vmlinuz);
  EXPECT_EQ(plan.entry, "bzimage");
  EXPECT_EQ(plan.machine, QemuMachine::Pc);
  EXPECT_NE(plan.machine_reason.find("no PVH entry"), std::string::npos) << plan.machine_reason;
}

TEST_F(BootPlanOnFile, ForcedChoicesTheKernelCannotHonourAreOneLineErrors) {
  try {
    plan_boot(kernel_, Accelerator::Tcg, {"microvm", "auto"});
    FAIL() << "microvm without a PVH entry was accepted";
  } catch (const KregError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot boot on microvm"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plan_boot(kernel_, Accelerator::Tcg, {"auto", "pvh"}), KregError);
  EXPECT_THROW(plan_boot(kernel_, Accelerator::Tcg, {"q35", "auto"}), KregError);
  EXPECT_EQ(plan_boot(kernel_, Accelerator::Tcg, {"pc", "bzimage"}).machine_reason, "pc: asked for");
}

TEST_F(BootPlanOnFile, OnlyTcgGuestsAreToldTheHostTscRate) {
  EXPECT_EQ(plan_boot(kernel_, Accelerator::Kvm).tsc_khz, 0u);
  EXPECT_EQ(plan_boot(kernel_, Accelerator::Tcg).tsc_khz, host_tsc_khz());
}

TEST(HostTsc, RateIsAPlausibleClockOrNone) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  bool steady = false;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      steady = line.find(" constant_tsc") != std::string::npos && line.find(" nonstop_tsc") != std::string::npos;
      break;
    }
#if defined(__x86_64__)
  if (steady) {
    EXPECT_GT(host_tsc_khz(), 100'000u);     // 100 MHz
    EXPECT_LT(host_tsc_khz(), 10'000'000u);  // 10 GHz
    return;
  }
#endif
  EXPECT_EQ(host_tsc_khz(), 0u);
}

TEST(QemuArgv, MicrovmGetsItsOwnSerialAndMmioDisk) {
  VmSpec spec;
  spec.kernel = "k";
  spec.initrd = "i";
  spec.console_log = "c.log";
  spec.results_log = "r.serial";
  spec.disk_image = "d.img";
  spec.machine = QemuMachine::Microvm;
  auto argv = qemu_argv(spec);
  EXPECT_EQ(after(argv, "-machine"), "microvm");
  EXPECT_EQ(after(argv, "-device").rfind("isa-serial,chardev=serial1", 0), 0u);
  EXPECT_TRUE(has(argv, "virtio-blk-device,drive=scratch"));
  EXPECT_TRUE(has(argv, "file:r.serial"));
  EXPECT_FALSE(has(argv, "-global")) << "microvm has no PIIX4_PM to configure";

  spec.machine = QemuMachine::Pc;
  argv = qemu_argv(spec);
  EXPECT_FALSE(has(argv, "-machine"));
  EXPECT_TRUE(has(argv, "PIIX4_PM.acpi-root-pci-hotplug=off"));
  EXPECT_TRUE(has(argv, "file=d.img,format=raw,cache=unsafe,if=virtio"));
  EXPECT_FALSE(has(argv, "-device"));
}

TEST(KernelAppend, TscRateComesBeforeTheSuitesOwnArguments) {
  VmSpec spec;
  EXPECT_EQ(kernel_append(spec).find("tsc"), std::string::npos);
  spec.tsc_khz = 2100000;
  spec.extra_append = "tsc=unstable";
  const std::string append = kernel_append(spec);
  const size_t ours = append.find("tsc_early_khz=2100000 tsc=reliable");
  ASSERT_NE(ours, std::string::npos) << append;
  EXPECT_GT(append.find("tsc=unstable"), ours) << "the suite's word must come last, so it wins";
}

}  // namespace
}  // namespace kreg
