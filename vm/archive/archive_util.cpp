#include "vm/archive/archive_util.hpp"

namespace kreg {

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

std::string normalise_member_path(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") throw std::invalid_argument("unsafe member path containing '..'");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

namespace {

std::string safe_path(std::string_view path, const ExtractErrors& errors) {
  try {
    return normalise_member_path(path);
  } catch (const std::invalid_argument& e) {
    errors.read(e.what());
    throw;  // errors.read throws; this only satisfies the compiler
  }
}

}  // namespace

std::string extract_mapped_entry(archive* in, archive* disk, archive_entry* e,
                                 const std::function<std::string(const std::string&)>& mapper,
                                 const ExtractErrors& errors) {
  std::string path = safe_path(archive_entry_pathname(e), errors);
  const char* hardlink = archive_entry_hardlink(e);
  auto type = archive_entry_filetype(e);
  if (path.empty() || (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)) return "";
  std::string dest = mapper(path);
  if (dest.empty()) return "";
  archive_entry_set_pathname(e, dest.c_str());
  if (hardlink) {
    // cpio newc: later links of a file name the first; the data rides on the last.
    std::string target = mapper(safe_path(hardlink, errors));
    if (target.empty()) errors.read("hard link " + path + " points to a member that is not extracted");
    archive_entry_set_hardlink(e, target.c_str());
  }
  if (archive_write_header(disk, e) < ARCHIVE_WARN) errors.write(dest, archive_message(disk));
  if (archive_entry_size(e) > 0) {
    for (;;) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(in, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) errors.read(archive_message(in));  // corrupt or truncated compression
      if (archive_write_data_block(disk, buf, size, offset) < ARCHIVE_WARN) errors.write(dest, archive_message(disk));
    }
  }
  if (archive_write_finish_entry(disk) < ARCHIVE_WARN) errors.write(dest, archive_message(disk));
  return dest;
}

}  // namespace kreg
