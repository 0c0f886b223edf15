// Which kreg this is: the project version (CMakeLists.txt) and the commit it
// was built from, read by git at build time ("unknown" outside a git checkout,
// "-dirty" when the tree had uncommitted changes). kreg --version prints both;
// the container image and the manifest's default image are named after them.
#pragma once

#include <string>

namespace kreg {

const std::string& kreg_version();  // "0.1.0"
const std::string& kreg_commit();   // "28faa5c1d2e3", "28faa5c1d2e3-dirty" or "unknown"

// The image image/build.sh writes: kreg:<version>-<commit>.
std::string default_image();

}  // namespace kreg
