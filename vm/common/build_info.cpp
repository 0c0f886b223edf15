#include "vm/common/build_info.hpp"

#include "kreg_commit.hpp"  // generated at build time by commit_id.cmake: KREG_COMMIT

namespace kreg {

const std::string& kreg_version() {
  static const std::string version = KREG_VERSION;
  return version;
}

const std::string& kreg_commit() {
  static const std::string commit = KREG_COMMIT;
  return commit;
}

std::string default_image() { return "kreg:" + kreg_version() + "-" + kreg_commit(); }

}  // namespace kreg
