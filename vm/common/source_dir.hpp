// Where kreg's own data lives (suites/, plots/, bench/memcg_poc.sh): the
// source tree it was built from. One file carries the path, so moving the
// tree rebuilds one object, not every file.
#pragma once

#include <string>

namespace kreg {

const std::string& source_dir();

}  // namespace kreg
