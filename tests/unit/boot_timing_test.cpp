// The boot breakdown: the kernel's markers read out of /dev/kmsg records
// (real lines: a 6.18 host's "Unpacking initramfs...", 5.10/6.1's "Trying to
// unpack rootfs image as initramfs..."), and the phases the host derives
// from them and its own QEMU-start-to-hello time.
#include <gtest/gtest.h>

#include "vm/boot/boot_breakdown.hpp"
#include "vm/guest/boot_timing.hpp"

namespace kreg {
namespace {

// From a 6.18 kernel's /dev/kmsg (this machine's host), one continuation line added.
const char* kKmsg618 =
    "5,0,0,-;Linux version 6.18.44-fc-v973 (builder@sandboxing) #1 SMP PREEMPT_DYNAMIC @0\n"
    " SUBSYSTEM=cpu\n"
    "6,259,125624,-;Unpacking initramfs...\n"
    "6,271,137875,-;Freeing initrd memory: 7872K\n"
    "6,280,151002,-;Run /init as init process\n";

// 6.1 logs the unpack differently; 4.19 logs no "Run /init" line.
const char* kKmsg61 =
    "6,300,412001,-;Trying to unpack rootfs image as initramfs...\n"
    "6,301,420000,-;Freeing initrd memory: 14000K\n"
    "6,330,790500,-;Run /init as init process\n"
    "6,331,800000,-;Run /init as init process\n";

TEST(BootTiming, KernelMarkersComeFromKmsgRecordsInSeconds) {
  auto m = guest::kernel_boot_markers(kKmsg618);
  EXPECT_DOUBLE_EQ(m["initramfs_unpack_start"].get<double>(), 0.125624);
  EXPECT_DOUBLE_EQ(m["initramfs_unpack_end"].get<double>(), 0.137875);
  EXPECT_DOUBLE_EQ(m["run_init"].get<double>(), 0.151002);
  auto m61 = guest::kernel_boot_markers(kKmsg61);
  EXPECT_DOUBLE_EQ(m61["initramfs_unpack_start"].get<double>(), 0.412001);
  EXPECT_DOUBLE_EQ(m61["run_init"].get<double>(), 0.7905) << "the first record counts";
}

TEST(BootTiming, MissingOrMalformedRecordsLeaveMarkersOut) {
  auto m = guest::kernel_boot_markers(
      "6,1,notanumber,-;Unpacking initramfs...\n"
      "garbage without fields; Freeing initrd memory\n"
      "6,2,5000,-;Linux version 4.19.222\n");
  EXPECT_FALSE(m.contains("initramfs_unpack_start"));
  EXPECT_FALSE(m.contains("initramfs_unpack_end"));
  EXPECT_FALSE(m.contains("run_init"));
}

TEST(BootBreakdown, PhasesAddUpToTheHostsBootTime) {
  nlohmann::json guest = {{"kernel", guest::kernel_boot_markers(kKmsg61)},
                          {"agent", {{"agent_start", 0.80}, {"mounted", 0.82}, {"hello", 0.95}}}};
  auto b = boot_breakdown(2.0, guest);
  EXPECT_DOUBLE_EQ(b["to_hello_s"].get<double>(), 2.0);
  EXPECT_NEAR(b["before_kernel_s"].get<double>(), 1.05, 1e-9);
  EXPECT_NEAR(b["kernel_init_s"].get<double>(), 0.80, 1e-9);
  EXPECT_NEAR(b["initramfs_s"].get<double>(), 0.007999, 1e-9);
  EXPECT_NEAR(b["agent_s"].get<double>(), 0.15, 1e-9);
  EXPECT_NEAR(b["before_kernel_s"].get<double>() + b["kernel_init_s"].get<double>() + b["agent_s"].get<double>(), 2.0,
              1e-9);
}

TEST(BootBreakdown, AGuestWithoutStampsGivesOnlyTheHostsTime) {
  auto b = boot_breakdown(3.5, nlohmann::json());
  EXPECT_EQ(b.size(), 1u);
  EXPECT_DOUBLE_EQ(b["to_hello_s"].get<double>(), 3.5);
  auto partial = boot_breakdown(3.5, {{"agent", {{"agent_start", 1.0}}}});
  EXPECT_FALSE(partial.contains("before_kernel_s"));
  EXPECT_DOUBLE_EQ(partial["kernel_init_s"].get<double>(), 1.0);
}

}  // namespace
}  // namespace kreg
