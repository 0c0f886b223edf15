#include "vm/source/tree_mirror.hpp"

#include <filesystem>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace kreg {

void mirror_tree(const std::string& from, const std::string& to) {
  std::filesystem::create_directories(to);
  // -rlpD without -t: content decides (--checksum), copies are "new" to make.
  CapturedRun r = run_captured({"rsync", "-rlpD", "--checksum", "--delete", "--exclude=/.git", "--exclude=/.kreg",
                                "--exclude=/.config", "--exclude=/include/config",
                                "--exclude=/arch/*/include/generated", from + "/", to + "/"});
  if (r.exit_code != 0)
    throw KregError("cannot mirror kernel source " + from + " into " + to +
                    ": rsync: " + r.err.substr(0, r.err.find('\n')) + " (install rsync with ./setup.sh)");
}

}  // namespace kreg
