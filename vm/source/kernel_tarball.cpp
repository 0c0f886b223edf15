#include "vm/source/kernel_tarball.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>

#include "vm/archive/archive_util.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "linux-6.1/mm/memcontrol.c" -> "mm/memcontrol.c"; the top directory
// itself -> "". A tarball without a common top directory keeps its paths.
std::string strip_top(const std::string& path, std::string& top) {
  const size_t slash = path.find('/');
  const std::string first = path.substr(0, slash);
  if (top.empty()) top = first;
  if (first != top) return path;
  return slash == std::string::npos ? "" : path.substr(slash + 1);
}

}  // namespace

bool is_kernel_tarball_name(const std::string& path) {
  for (const char* ext : {".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst", ".tar"})
    if (ends_with(path, ext)) return true;
  return false;
}

TreeVersion unpack_kernel_tarball(const std::string& tarball, const std::string& dest, const std::string& what) {
  const std::string partial = dest + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  auto fail = [&](const std::string& cause) -> void {
    std::error_code ec;
    fs::remove_all(partial, ec);
    throw KregError("kernel source " + what + " is not a readable tarball: " + cause);
  };
  ArchiveReadPtr in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  archive_read_support_filter_all(in.get());
  if (archive_read_open_filename(in.get(), tarball.c_str(), 1 << 20) != ARCHIVE_OK) fail(archive_message(in.get()));
  ArchiveWritePtr disk(archive_write_disk_new());
  // No write through a symlink, no "..": the tarball may come from anywhere.
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                 ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  std::string top;
  ExtractErrors errors{[&](const std::string& c) { fail(c); },
                       [&](const std::string& d, const std::string& c) { fail("cannot write " + d + ": " + c); }};
  auto mapper = [&](const std::string& member) -> std::string {
    std::string rel = strip_top(member, top);
    if (rel.empty() || excluded_from_tree(rel)) return "";
    return partial + "/" + rel;
  };
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) fail(archive_message(in.get()));
    extract_mapped_entry(in.get(), disk.get(), e, mapper, errors);
  }
  if (archive_write_close(disk.get()) != ARCHIVE_OK) fail(archive_message(disk.get()));
  TreeVersion v;
  try {
    v = check_kernel_tree(partial, what);
  } catch (const KregError&) {
    fs::remove_all(partial);
    throw KregError("kernel source " + what +
                    " is not a Linux kernel source tarball (no top-level Makefile with VERSION/PATCHLEVEL, Kconfig "
                    "and arch/x86 inside); give a kernel.org-style .tar.xz/.tar.gz or a source tree");
  }
  fs::remove_all(dest);
  fs::rename(partial, dest);
  return v;
}

}  // namespace kreg
