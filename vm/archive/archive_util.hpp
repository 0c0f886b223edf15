// What every libarchive user in kreg needs: owning pointers, the error of
// an archive as one phrase, and member paths made safe to join to a
// directory (.deb and .rpm extraction, initramfs writing).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <functional>
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

// How a package extraction reports trouble; both must throw. `read`: the
// package is corrupt or unsafe; `write`: `dest` cannot be written on disk.
struct ExtractErrors {
  std::function<void(const std::string& cause)> read;
  std::function<void(const std::string& dest, const std::string& cause)> write;
};

// Writes the entry just read from `in` to `disk` at mapper(member path) and
// returns that destination; "" when skipped: the mapper said "", the entry
// is "./" itself, or a device node or fifo (kernel packages ship none).
// Hard links are re-pointed through the mapper.
std::string extract_mapped_entry(archive* in, archive* disk, archive_entry* e,
                                 const std::function<std::string(const std::string&)>& mapper,
                                 const ExtractErrors& errors);

}  // namespace kreg
