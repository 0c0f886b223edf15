// .rpm kernels (vm/rpm_extract.cpp through kernel_from_path), on packages
// built with the real rpmbuild (Debian package "rpm", installed by setup.sh)
// in both layouts: CentOS/RHEL 7's "kernel" (boot/vmlinuz-*, boot/config-*,
// lib/modules/<ver>/) and RHEL 8+'s "kernel-core" (lib/modules/<ver>/vmlinuz
// and config) with its modules partly in "kernel-modules".
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/ci_skip.hpp"
#include "tests/unit/vm_host_test_util.hpp"
#include "vm/archive/rpm_extract.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg::test {
namespace {

const std::string kEl7 = "3.10.0-1160.el7.x86_64", kEl8 = "4.18.0-513.el8.x86_64";

// Passes check_bzimage: the boot-protocol magic at 0x202.
std::string fake_bzimage(size_t seed_len) {
  std::string image = pattern_bytes(seed_len);
  image.replace(0x202, 4, "HdrS");
  return image;
}

class RpmBuilder {
 public:
  explicit RpmBuilder(const fs::path& work) : work_(work) {}

  // Packages everything under `tree` as NAME-VERSION-RELEASE.x86_64.rpm
  // into out_dir; returns its path. `payload` is rpm's _binary_payload
  // (w9.gzdio, w2.xzdio, w19.zstdio, w6.lzdio, w9.bzdio).
  fs::path build(const std::string& name, const std::string& version, const std::string& release, const fs::path& tree,
                 const fs::path& out_dir, const std::string& payload) {
    std::string files;
    for (const auto& top : fs::directory_iterator(tree)) files += "/" + top.path().filename().string() + "\n";
    const fs::path spec = work_ / (name + ".spec");
    write_file(spec, "Name: " + name + "\nVersion: " + version + "\nRelease: " + release +
                         "\nSummary: kreg test kernel\nLicense: GPL-2.0-only\nAutoReqProv: no\n"
                         "%define debug_package %{nil}\n%define __os_install_post %{nil}\n"
                         "%description\nkreg test kernel package\n"
                         "%install\ncp -a %{tree}/. %{buildroot}/\n"
                         "%files\n%defattr(-,root,root)\n" +
                         files);
    const fs::path top = work_ / ("top-" + name);
    fs::create_directories(work_ / "tmp");
    CapturedRun r =
        run_captured({"rpmbuild", "-bb", "--quiet", "--nodeps", "--define", "_topdir " + top.string(), "--define",
                      "_tmppath " + (work_ / "tmp").string(), "--define", "_rpmdir " + out_dir.string(), "--define",
                      "_binary_payload " + payload, "--define", "tree " + tree.string(), spec.string()});
    const fs::path rpm = out_dir / "x86_64" / (name + "-" + version + "-" + release + ".x86_64.rpm");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(rpm)) << rpm << "\n" << r.err;
    return rpm;
  }

 private:
  fs::path work_;
};

bool have_rpmbuild() { return find_program("rpmbuild").has_value(); }

class RpmKernel : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
 protected:
  void SetUp() override {
    if (!have_rpmbuild())
      KREG_SKIP_OR_FAIL_ON_CI("rpmbuild not installed (./setup.sh installs the Debian package rpm)");
  }
  TempDir tmp;
};

// CentOS 7 / RHEL 7: one "kernel" package with /boot and /lib/modules.
TEST_P(RpmKernel, El7KernelPackage) {
  const auto& [payload, compressor] = GetParam();
  const fs::path tree = tmp / "el7";
  const std::string image = fake_bzimage(300 * 1024 + 7);
  const std::string config =
      "# Linux/x86_64 " + kEl7 + " Kernel Configuration\nCONFIG_MEMCG=y\nCONFIG_KPROBE_EVENT=y\n";
  write_file(tree / ("boot/vmlinuz-" + kEl7), image, 0755);
  write_file(tree / ("boot/.vmlinuz-" + kEl7 + ".hmac"), "hmac");
  write_file(tree / ("boot/config-" + kEl7), config);
  write_file(tree / ("boot/System.map-" + kEl7), "ffffffff81000000 T _text\n");
  const fs::path mods = tree / "lib/modules" / kEl7;
  write_file(mods / "modules.order", "kernel/drivers/block/virtio_blk.ko\n");
  write_file(mods / "modules.builtin", "kernel/fs/ext4/ext4.ko\n");
  write_file(mods / "kernel/drivers/block/virtio_blk.ko", "dummy module");
  fs::create_symlink("/usr/src/kernels/" + kEl7, mods / "build");  // dangling, as in the real package

  const fs::path rpm = RpmBuilder(tmp.path()).build("kernel", "3.10.0", "1160.el7", tree, tmp / "rpms", payload);
  ASSERT_FALSE(HasFailure());

  RpmHeader header = read_rpm_header(rpm.string());
  EXPECT_EQ(header.name, "kernel");
  EXPECT_EQ(header.version, "3.10.0");
  EXPECT_EQ(header.release, "1160.el7");
  EXPECT_EQ(header.arch, "x86_64");
  EXPECT_EQ(header.payload_compressor, compressor);

  const fs::path cache = tmp / "cache";
  KernelImage k = kernel_from_path(rpm.string(), cache.string());
  const fs::path dir = cache / "kernels" / sha256_file(rpm.string());
  EXPECT_EQ(k.release, kEl7);
  EXPECT_EQ(k.package, "kernel");
  EXPECT_EQ(k.package_version, "3.10.0-1160.el7");
  EXPECT_EQ(k.source, rpm.string());
  EXPECT_EQ(k.vmlinuz, (dir / "vmlinuz").string());
  EXPECT_EQ(k.config_path, (dir / "config").string());
  EXPECT_EQ(k.modules_dir, (dir / "modules").string());
  EXPECT_TRUE(read_file(k.vmlinuz) == image);
  EXPECT_EQ(read_file(k.config_path), config);
  EXPECT_EQ(k.image_sha256, sha256_file((tree / ("boot/vmlinuz-" + kEl7)).string()));
  EXPECT_EQ(k.config_sha256, sha256_file((tree / ("boot/config-" + kEl7)).string()));
  EXPECT_EQ(read_file(dir / "modules/modules.order"), "kernel/drivers/block/virtio_blk.ko\n");
  EXPECT_EQ(read_file(dir / "modules/kernel/drivers/block/virtio_blk.ko"), "dummy module");
  EXPECT_TRUE(fs::is_symlink(dir / "modules/build"));
  // Only the kernel's files: no System.map, no .hmac, no boot/ tree.
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(dir)) top.push_back(e.path().filename());
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<std::string>{"config", "kernel.json", "modules", "vmlinuz"}));

  // Which files were used, in the result and in kernel.json.
  const std::string name = rpm.filename();
  EXPECT_EQ(k.packages, std::vector<std::string>{name});
  EXPECT_EQ(k.files.at("vmlinuz"), name + ": boot/vmlinuz-" + kEl7);
  EXPECT_EQ(k.files.at("config"), name + ": boot/config-" + kEl7);
  EXPECT_EQ(k.files.at("modules").rfind(name + ": lib/modules/" + kEl7 + "/ (", 0), 0u) << k.files.at("modules");
  KernelImage stored = kernel_from_json(nlohmann::json::parse(read_file(dir / "kernel.json")));
  EXPECT_EQ(stored.files, k.files);
  EXPECT_EQ(stored.image_sha256, k.image_sha256);

  // A second call is served from the cache, not extracted again.
  write_file(dir / "marker", "kept");
  KernelImage again = kernel_from_path(rpm.string(), cache.string());
  EXPECT_EQ(again.vmlinuz, k.vmlinuz);
  EXPECT_TRUE(fs::exists(dir / "marker"));
}

INSTANTIATE_TEST_SUITE_P(Payloads, RpmKernel,
                         ::testing::Values(std::pair{"w9.gzdio", "gzip"}, std::pair{"w2.xzdio", "xz"},
                                           std::pair{"w19.zstdio", "zstd"}, std::pair{"w6.lzdio", "lzma"},
                                           std::pair{"w9.bzdio", "bzip2"}),
                         [](const auto& info) { return info.param.second; });

// RHEL 8+/Fedora: kernel-core holds lib/modules/<ver>/{vmlinuz,config} and
// some modules; kernel-modules beside it holds the rest and is picked up,
// also when it is added after kernel-core was first extracted.
TEST(RpmKernelCore, ImageAndConfigFromLibModulesAndModulesFromBeside) {
  if (!have_rpmbuild()) KREG_SKIP_OR_FAIL_ON_CI("rpmbuild not installed (./setup.sh installs the Debian package rpm)");
  TempDir tmp;
  const std::string image = fake_bzimage(200 * 1024 + 1);
  const fs::path core_tree = tmp / "core", modules_tree = tmp / "modules";
  const fs::path core_mods = core_tree / "lib/modules" / kEl8;
  write_file(core_mods / "vmlinuz", image, 0755);
  write_file(core_mods / "config", "# Linux/x86_64 4.18.0 Kernel Configuration\nCONFIG_MEMCG=y\n");
  write_file(core_mods / "modules.order", "kernel/fs/ext4/ext4.ko.xz\nkernel/drivers/net/dummy.ko.xz\n");
  write_file(core_mods / "kernel/fs/ext4/ext4.ko.xz", "dummy ext4");
  write_file(modules_tree / "lib/modules" / kEl8 / "kernel/drivers/net/dummy.ko.xz", "dummy net");

  RpmBuilder builder(tmp.path());
  const fs::path core = builder.build("kernel-core", "4.18.0", "513.el8", core_tree, tmp / "out", "w2.xzdio");
  const fs::path modules = builder.build("kernel-modules", "4.18.0", "513.el8", modules_tree, tmp / "out", "w2.xzdio");
  ASSERT_FALSE(HasFailure());
  const fs::path downloads = tmp / "downloads", cache = tmp / "cache";
  fs::create_directories(downloads);
  fs::copy_file(core, downloads / core.filename());
  const std::string core_rpm = (downloads / core.filename()).string();

  KernelImage alone = kernel_from_path(core_rpm, cache.string());
  const fs::path dir = cache / "kernels" / sha256_file(core_rpm);
  EXPECT_EQ(alone.release, kEl8);
  EXPECT_EQ(alone.package, "kernel-core");
  EXPECT_EQ(alone.vmlinuz, (dir / "vmlinuz").string());
  EXPECT_TRUE(read_file(alone.vmlinuz) == image);
  EXPECT_EQ(alone.files.at("vmlinuz"), core.filename().string() + ": lib/modules/" + kEl8 + "/vmlinuz");
  EXPECT_EQ(alone.files.at("config"), core.filename().string() + ": lib/modules/" + kEl8 + "/config");
  EXPECT_EQ(read_file(dir / "modules/kernel/fs/ext4/ext4.ko.xz"), "dummy ext4");
  EXPECT_FALSE(fs::exists(dir / "modules/vmlinuz"));
  EXPECT_FALSE(fs::exists(dir / "modules/kernel/drivers/net/dummy.ko.xz"));

  fs::copy_file(modules, downloads / modules.filename());
  KernelImage both = kernel_from_path(core_rpm, cache.string());
  EXPECT_EQ(both.packages, (std::vector<std::string>{core.filename(), modules.filename()}));
  EXPECT_EQ(read_file(dir / "modules/kernel/drivers/net/dummy.ko.xz"), "dummy net");
  EXPECT_NE(both.files.at("modules").find(modules.filename().string() + ": lib/modules/" + kEl8 + "/"),
            std::string::npos)
      << both.files.at("modules");
  EXPECT_EQ(both.image_sha256, alone.image_sha256);
}

TEST(RpmKernelErrors, GarbageTruncatedAndImagelessPackagesNameTheFile) {
  TempDir tmp;
  const fs::path cache = tmp / "cache";
  const fs::path garbage = tmp / "garbage.rpm";
  write_file(garbage, "this is not an RPM package\n" + pattern_bytes(4096));
  std::string msg = error_of([&] { kernel_from_path(garbage.string(), cache.string()); });
  EXPECT_NE(msg.find(garbage.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not an RPM package"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  if (!have_rpmbuild()) KREG_SKIP_OR_FAIL_ON_CI("rpmbuild not installed (./setup.sh installs the Debian package rpm)");
  const fs::path tree = tmp / "tree";
  write_file(tree / "lib/modules" / kEl8 / "kernel/drivers/net/dummy.ko.xz", pattern_bytes(256 * 1024));
  const fs::path rpm =
      RpmBuilder(tmp.path()).build("kernel-modules", "4.18.0", "513.el8", tree, tmp / "out", "w2.xzdio");
  ASSERT_FALSE(HasFailure());
  msg = error_of([&] { kernel_from_path(rpm.string(), cache.string()); });
  EXPECT_NE(msg.find(rpm.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("holds no kernel image"), std::string::npos) << msg;

  const std::string bytes = read_file(rpm);
  const fs::path cut = tmp / "cut.rpm";
  write_file(cut, bytes.substr(0, bytes.size() - 64 * 1024));
  msg = error_of([&] { extract_rpm(cut.string(), [&](const std::string& m) { return (tmp / "o" / m).string(); }); });
  EXPECT_NE(msg.find(cut.string()), std::string::npos) << msg;
}

}  // namespace
}  // namespace kreg::test
