// Where kreg's own data lives (suites/, plots/, bench/memcg_poc.sh). In this
// order:
//  1. $KREG_DATA_DIR, when set;
//  2. <directory of the kreg executable>/../share/kreg, when it holds suites/:
//     an installed kreg, e.g. the container image's /opt/kreg/bin/kreg with
//     /opt/kreg/share/kreg (image/build.sh);
//  3. the source tree it was built from (a build tree's kreg). One file
//     carries that path, so moving the tree rebuilds one object, not every file.
#pragma once

#include <string>

namespace kreg {

const std::string& source_dir();

}  // namespace kreg
