// Extracts files from a Debian package (.deb = ar archive holding
// control.tar.* and data.tar.{xz,zst,gz}) with libarchive, without dpkg and
// without touching the host's /boot.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace kreg {

// Called for every member path of data.tar (normalised: no leading "./", no
// trailing '/'; the "./" root itself and device nodes are not offered);
// return the destination path on the host to extract it, or "" to skip it.
using DebPathMapper = std::function<std::string(const std::string& member_path)>;

struct DebExtractResult {
  std::vector<std::string> written;  // host paths written
};

// Throws KregError naming the .deb and the cause when it is not a valid
// package (not an ar archive, no data.tar member, corrupt compression).
DebExtractResult extract_deb(const std::string& deb_path, const DebPathMapper& mapper);

// The "Package:" and "Version:" fields from control.tar's control file.
struct DebControl {
  std::string package, version;
};
DebControl read_deb_control(const std::string& deb_path);

}  // namespace kreg
