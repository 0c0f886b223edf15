// Static kernel feature probe (vm/kernel_features.cpp) on extracts of real
// Debian kernel configs (tests/fixtures/configs: the header line and the
// options the probe reads, copied from the packages' /boot/config-*).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/kernel_fixtures.hpp"
#include "vm/kernels/kernel_features.hpp"

namespace kreg {
namespace {

using test::fixture_config;

TEST(KernelFeatures, ParsesSetUnsetAndModuleOptions) {
  KernelConfig c = parse_kernel_config(fixture_config("6.12.117+deb13-cloud-amd64"));
  EXPECT_EQ(c.at("CONFIG_MEMCG"), "y");
  EXPECT_EQ(c.at("CONFIG_MEMCG_V1"), "n");
  EXPECT_EQ(c.at("CONFIG_VIRTIO_BLK"), "m");
  EXPECT_FALSE(c.contains("CONFIG_KPROBE_EVENT"));
}

TEST(KernelFeatures, VersionFromConfigHeaderBeatsTheDebianAbiRelease) {
  // Debian's release says 6.1.0; the config header has the real sublevel.
  auto v = kernel_version(fixture_config("6.1.0-56-cloud-amd64"), "6.1.0-56-cloud-amd64");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text(), "6.1.192");
  v = kernel_version("", "3.10.0-1160.el7.x86_64");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text(), "3.10.0");
  EXPECT_FALSE(kernel_version("", ""));
}

TEST(KernelFeatures, Debian510HasMemcgV1WithoutTheOption) {
  auto f = probe_features(fixture_config("5.10.0-32-cloud-amd64"), "5.10.0-32-cloud-amd64");
  EXPECT_TRUE(feature(f, "memcg_v1").available);
  EXPECT_EQ(feature(f, "memcg_v1").source, "config");
  EXPECT_NE(feature(f, "memcg_v1").evidence.find("no CONFIG_MEMCG_V1 option"), std::string::npos);
  EXPECT_FALSE(feature(f, "memory_reclaim").available);  // 5.19
  EXPECT_EQ(feature(f, "memory_reclaim").source, "version");
  EXPECT_NE(feature(f, "memory_reclaim").evidence.find("5.10.223 < 5.19"), std::string::npos)
      << feature(f, "memory_reclaim").evidence;
  EXPECT_TRUE(feature(f, "cgroup_stat_dying").available);
  EXPECT_FALSE(feature(f, "cgroup_stat_dying_subsys").available);
  EXPECT_TRUE(feature(f, "kprobe_events").available);
  EXPECT_EQ(feature(f, "virtio_blk").evidence, "CONFIG_VIRTIO_BLK=m (module)");
  EXPECT_TRUE(feature(f, "virtio_blk").available);
}

TEST(KernelFeatures, Debian61HasMemcgV1AndMemoryReclaim) {
  auto f = probe_features(fixture_config("6.1.0-56-cloud-amd64"), "6.1.0-56-cloud-amd64");
  EXPECT_TRUE(feature(f, "memcg_v1").available);
  EXPECT_TRUE(feature(f, "memory_reclaim").available);
  EXPECT_FALSE(feature(f, "cgroup_stat_dying_subsys").available);  // 6.12 (the 6.1 captures lack the keys too)
  for (const char* name : {"cgroups", "memcg", "net_ns", "kprobe_events", "ftrace", "function_graph_tracer", "modules",
                           "virtio_blk", "ext4", "tmpfs"})
    EXPECT_TRUE(feature(f, name).available) << name << ": " << feature(f, name).evidence;
}

// Trixie's 6.12 and its backported 7.3 build memcg without the v1 interface
// (the -v1 captures in tests/fixtures have no memory files at all).
TEST(KernelFeatures, TrixieKernelsLackMemcgV1) {
  for (const char* release : {"6.12.117+deb13-cloud-amd64", "7.3.4+deb13-cloud-amd64"}) {
    auto f = probe_features(fixture_config(release), release);
    EXPECT_TRUE(feature(f, "memcg").available) << release;
    EXPECT_FALSE(feature(f, "memcg_v1").available) << release;
    EXPECT_EQ(feature(f, "memcg_v1").evidence, "CONFIG_MEMCG_V1 is not set") << release;
    EXPECT_TRUE(feature(f, "memory_reclaim").available) << release;
    EXPECT_TRUE(feature(f, "cgroup_stat_dying_subsys").available) << release;
    EXPECT_TRUE(feature(f, "function_graph_tracer").available) << release;
  }
}

TEST(KernelFeatures, OldKprobeEventOptionNameAndMissingMemcg) {
  // Synthetic, shaped like CentOS 7's 3.10 config: CONFIG_KPROBE_EVENT
  // (renamed CONFIG_KPROBE_EVENTS in 4.11), and a kernel built without memcg.
  const std::string config =
      "# Linux/x86_64 3.10.0-1160.el7.x86_64 Kernel Configuration\n"
      "CONFIG_CGROUPS=y\n# CONFIG_MEMCG is not set\nCONFIG_KPROBE_EVENT=y\n";
  auto f = probe_features(config, "3.10.0-1160.el7.x86_64");
  EXPECT_TRUE(feature(f, "kprobe_events").available);
  EXPECT_EQ(feature(f, "kprobe_events").evidence, "CONFIG_KPROBE_EVENT=y");
  EXPECT_FALSE(feature(f, "memcg_v1").available);
  EXPECT_EQ(feature(f, "memcg_v1").evidence, "CONFIG_MEMCG is not set");
  EXPECT_FALSE(feature(f, "memory_reclaim").available);
  EXPECT_EQ(feature(f, "memory_reclaim").source, "config");
  EXPECT_FALSE(feature(f, "cgroup_stat_dying").available);  // 3.10 < 4.14
  EXPECT_FALSE(feature(f, "tmpfs").available);
  EXPECT_EQ(feature(f, "tmpfs").evidence, "CONFIG_TMPFS is absent from the config");
}

TEST(KernelFeatures, BareImageHasNoConfigEvidence) {
  auto f = probe_features("", "");
  EXPECT_FALSE(feature(f, "memcg").available);
  EXPECT_EQ(feature(f, "memcg").evidence, "no kernel config (a bare bzImage)");
  EXPECT_EQ(feature(f, "memory_reclaim").evidence, "kernel version unknown (no config header, no release)");
}

TEST(KernelFeatures, JsonCarriesAvailabilitySourceAndEvidence) {
  auto j = features_json(probe_features(fixture_config("7.3.4+deb13-cloud-amd64"), "7.3.4+deb13-cloud-amd64"));
  EXPECT_EQ(j["memcg_v1"]["available"], false);
  EXPECT_EQ(j["memcg_v1"]["source"], "config");
  EXPECT_EQ(j["memcg_v1"]["evidence"], "CONFIG_MEMCG_V1 is not set");
  EXPECT_EQ(j["memory_reclaim"]["source"], "version");
}

}  // namespace
}  // namespace kreg
