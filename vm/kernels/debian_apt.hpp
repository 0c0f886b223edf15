// A private apt configuration per Debian suite: the mirror is the one the
// host's apt already uses (never a host name of ours); lists and downloads
// live in kreg's cache, so the host's apt state is never touched. Debian's
// archive keyring trusts bullseye to trixie. Used for debian:<suite> kernel
// packages and debian-source:<suite> source packages.
#pragma once

#include <string>
#include <vector>
#include "vm/common/version_order.hpp"

#include "vm/common/process.hpp"

namespace kreg {

struct PrivateApt {
  std::string dir;  // <cache>/apt/<suite>
  std::vector<std::string> options() const;
  CapturedRun run(const std::string& tool, std::vector<std::string> args, const std::string& cwd = "") const;
};

// apt-get update of <suite> (plus <suite>-updates and -security where the
// mirror serves them) into <cache_dir>/apt/<suite>. Hold suite_lock_path()'s
// lock around it: apt's own lock fails at once when another kreg is busy.
PrivateApt private_apt(const std::string& suite, const std::string& cache_dir);
std::string suite_lock_path(const std::string& suite, const std::string& cache_dir);

// apt's own error line ("E: ..."), else its first line.
std::string apt_error(const std::string& err);

// "6.1" names 6.1.x, not 6.12: the prefix must end at a version boundary.
bool version_has_prefix(const std::string& version, const std::string& prefix);

}  // namespace kreg
