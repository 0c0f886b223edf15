#include "vm/common/source_dir.hpp"

namespace kreg {

const std::string& source_dir() {
  static const std::string dir = KREG_SOURCE_DIR;
  return dir;
}

}  // namespace kreg
