// Which build this is: the version and commit kreg --version prints, and the
// image name kreg submit k8s defaults to (what image/build.sh names its image).
#include <gtest/gtest.h>

#include <regex>

#include "harness/cluster/submit_k8s.hpp"
#include "vm/common/build_info.hpp"

namespace kreg {
namespace {

TEST(BuildInfo, VersionIsTheProjectsAndCommitIsGitsOrUnknown) {
  EXPECT_TRUE(std::regex_match(kreg_version(), std::regex(R"(\d+\.\d+\.\d+)"))) << kreg_version();
  EXPECT_TRUE(std::regex_match(kreg_commit(), std::regex(R"([0-9a-f]{12}(-dirty)?|unknown)"))) << kreg_commit();
}

TEST(BuildInfo, ManifestDefaultsToThisBuildsImage) {
  K8sOptions options;
  EXPECT_EQ(options.image, "kreg:" + kreg_version() + "-" + kreg_commit());
  // A valid image reference: the tag is [A-Za-z0-9_.-], at most 128 characters.
  const std::string tag = options.image.substr(options.image.find(':') + 1);
  EXPECT_TRUE(std::regex_match(tag, std::regex(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"))) << tag;
}

}  // namespace
}  // namespace kreg
