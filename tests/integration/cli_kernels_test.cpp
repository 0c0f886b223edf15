// `kreg kernels list|show` on a cache laid out as kreg writes it (kernel.json,
// config, guest_features.json), with configs extracted from real Debian
// kernels (tests/fixtures/configs). No network: nothing is fetched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/kreg_cli.hpp"

namespace kreg::test {
namespace {

namespace fs = std::filesystem;

// A cached kernel under <cache>/kernels/<key>/ with a real config extract.
void cache_kernel(const std::string& cache, const std::string& key, const std::string& release,
                  const std::string& package) {
  const fs::path dir = fs::path(cache) / "kernels" / key;
  fs::create_directories(dir);
  fs::copy_file(std::string(KREG_SOURCE_DIR "/tests/fixtures/configs/") + release + ".config", dir / "config");
  nlohmann::json k = {{"vmlinuz", (dir / "vmlinuz").string()},
                      {"config_path", (dir / "config").string()},
                      {"modules_dir", (dir / "modules").string()},
                      {"release", release},
                      {"package", package},
                      {"package_version", "1"},
                      {"image_sha256", std::string(64, 'e')},
                      {"config_sha256", std::string(64, 'f')},
                      {"source", "debian:test"},
                      {"packages", {package + ".deb"}},
                      {"files", {{"vmlinuz", package + ".deb: boot/vmlinuz-" + release}}}};
  std::ofstream(dir / "kernel.json") << k.dump(2);
}

class CliKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_kernel(tmp.path, std::string(64, 'b'), "7.3.4+deb13-cloud-amd64", "linux-image-7.3.4+deb13-cloud-amd64");
    cache_kernel(tmp.path, std::string(64, 'a'), "5.10.0-32-cloud-amd64", "linux-image-5.10.0-32-cloud-amd64-unsigned");
    std::ofstream(tmp.path + "/kernels/" + std::string(64, 'b') + "/guest_features.json")
        << R"({"memcg_v1": false, "cgroup2": true})";
  }
  TempDir tmp;
};

TEST_F(CliKernels, ListIsOneLinePerKernelOldestFirstWithKeyFeatures) {
  CapturedRun r = run_kreg({"kernels", "list", "--cache", tmp.path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(line_count(r.out), 3u) << r.out;  // header + two kernels
  std::istringstream lines(r.out);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_NE(header.find("MEMCG_V1"), std::string::npos) << header;
  EXPECT_EQ(first.rfind("5.10.0-32-cloud-amd64 ", 0), 0u) << r.out;
  EXPECT_NE(first.find("aaaaaaaaaaaa  y  "), std::string::npos) << first;  // sha prefix, memcg v1 y
  EXPECT_EQ(second.rfind("7.3.4+deb13-cloud-amd64 ", 0), 0u) << r.out;
  EXPECT_NE(second.find("bbbbbbbbbbbb  n  "), std::string::npos) << second;
}

TEST_F(CliKernels, ShowJsonHasKernelFeaturesWithEvidenceAndGuestProbe) {
  CapturedRun r = run_kreg({"kernels", "show", "bbbb", "--cache", tmp.path, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kernel"]["release"], "7.3.4+deb13-cloud-amd64");
  EXPECT_EQ(j["version"], "7.3.4");
  EXPECT_EQ(j["features"]["memcg_v1"]["available"], false);
  EXPECT_EQ(j["features"]["memcg_v1"]["evidence"], "CONFIG_MEMCG_V1 is not set");
  EXPECT_EQ(j["features"]["memory_reclaim"]["source"], "version");
  EXPECT_EQ(j["guest_features"]["cgroup2"], true);
}

TEST_F(CliKernels, ShowTextByReleaseNamesEvidenceAndSaysWhenNoGuestProbeYet) {
  CapturedRun r = run_kreg({"kernels", "show", "5.10.0-32-cloud-amd64", "--cache", tmp.path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("boot/vmlinuz-5.10.0-32-cloud-amd64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no CONFIG_MEMCG_V1 option"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("5.10.223 < 5.19"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("none yet"), std::string::npos) << r.out;
}

TEST_F(CliKernels, AmbiguousSpecIsOneErrorLineNamingTheCandidates) {
  CapturedRun r = run_kreg({"kernels", "show", "debian:test", "--cache", tmp.path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("'debian:test' matches 2 cached kernels"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kreg::test
