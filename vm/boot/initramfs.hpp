// Builds the guest's initramfs as a cpio "newc" archive with libarchive.
// The kernel unpacks it into rootfs and runs /init (the guest agent).
#pragma once

#include <string>
#include <vector>

namespace kreg {

struct InitramfsEntry {
  enum class Kind { File, Directory, Symlink };
  Kind kind = Kind::File;
  std::string archive_path;  // path inside the image, no leading '/', e.g. "lib/x86_64-linux-gnu/libc.so.6"
  std::string host_path;     // File: file on the host to copy (empty if `content` is used)
  std::string content;       // File: literal content when host_path is empty
  std::string link_target;   // Symlink only
  unsigned mode = 0755;      // permission bits
};

// Writes `entries` to `out_path` (created or truncated). Parent directories
// of every entry are added automatically. Throws KregError naming the path
// and the cause if any host file cannot be read or the output cannot be written.
void write_initramfs(const std::string& out_path, const std::vector<InitramfsEntry>& entries);

}  // namespace kreg
