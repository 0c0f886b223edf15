// What every libarchive user in kreg needs: owning pointers, the error of
// an archive as one phrase, and member paths made safe to join to a
// directory (.deb and .rpm extraction, initramfs writing).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kreg {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using ArchiveReadPtr = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWritePtr = std::unique_ptr<archive, ArchiveWriteFree>;

// libarchive's message, or "unknown libarchive error".
std::string archive_message(archive* a);

// "./boot/vmlinuz" -> "boot/vmlinuz", "/a//b/" -> "a/b", "./" -> "".
// Throws std::invalid_argument for a ".." component, so a caller that
// prefixes a directory can never be made to write outside it.
std::string normalise_member_path(std::string_view path);

}  // namespace kreg
