// .deb extraction with libarchive: the outer "ar" archive is read member by
// member, and the tarball inside (control.tar.* or data.tar.*) is opened as a
// second archive whose read callback pulls bytes from the outer one. Nothing
// is buffered whole: a kernel image package is ~30 MB compressed and well
// over 100 MB uncompressed.
#include "vm/archive/deb_extract.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <strings.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vm/archive/archive_util.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

using ReadPtr = ArchiveReadPtr;
using WritePtr = ArchiveWritePtr;

[[noreturn]] void fail(const std::string& deb, const std::string& cause) {
  throw KregError("cannot read Debian package " + deb + ": " + cause);
}

std::string cause(archive* a) { return archive_message(a); }

std::string normalise(const std::string& deb, std::string_view path) {
  try {
    return normalise_member_path(path);
  } catch (const std::invalid_argument& e) {
    fail(deb, e.what());
  }
}

// Feeds the nested (tar) archive from the current member of the outer (ar) one.
struct MemberStream {
  archive* outer;
  std::vector<char> buf = std::vector<char>(256 * 1024);
};

la_ssize_t read_member(archive* inner, void* data, const void** out) {
  auto* s = static_cast<MemberStream*>(data);
  la_ssize_t n = archive_read_data(s->outer, s->buf.data(), s->buf.size());
  if (n < 0) {
    archive_set_error(inner, archive_errno(s->outer), "%s", cause(s->outer).c_str());
    return -1;
  }
  *out = s->buf.data();
  return n;  // 0 at the end of the member
}

// Finds the first ar member whose name starts with `prefix` ("data.tar")
// and calls fn(tar_archive, member_name) with it opened for reading, every
// compression filter enabled (dpkg-deb uses xz by default, zstd on Ubuntu).
template <class Fn>
void with_tar_member(const std::string& deb, const std::string& prefix, Fn&& fn) {
  ReadPtr outer(archive_read_new());
  if (!outer) fail(deb, "out of memory");
  archive_read_support_format_ar(outer.get());
  if (archive_read_open_filename(outer.get(), deb.c_str(), 64 * 1024) != ARCHIVE_OK) fail(deb, cause(outer.get()));

  std::string member;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(outer.get(), &e);
    if (r == ARCHIVE_EOF) fail(deb, "no " + prefix + ".* member");
    if (r < ARCHIVE_WARN) fail(deb, cause(outer.get()));
    const char* name = archive_entry_pathname(e);
    if (name && std::string_view(name).starts_with(prefix)) {
      member = name;
      break;
    }
  }

  MemberStream stream{outer.get()};
  ReadPtr inner(archive_read_new());
  if (!inner) fail(deb, "out of memory");
  archive_read_support_format_tar(inner.get());
  archive_read_support_filter_all(inner.get());
  if (archive_read_open(inner.get(), &stream, nullptr, read_member, nullptr) != ARCHIVE_OK)
    fail(deb, member + ": " + cause(inner.get()));
  fn(inner.get(), member);
}

// Copies the current entry's data block by block (keeps sparse files sparse).

}  // namespace

DebExtractResult extract_deb(const std::string& deb_path, const DebPathMapper& mapper) {
  DebExtractResult result;
  with_tar_member(deb_path, "data.tar", [&](archive* in, const std::string& member) {
    WritePtr disk(archive_write_disk_new());
    if (!disk) fail(deb_path, "out of memory");
    // Mode and mtime are kept, ownership is not (the harness need not run as
    // root). Missing parent directories are created by libarchive. Symlinks
    // inside the destination are followed: packages come from the Debian
    // archive, and the host paths are the mapper's choice.
    archive_write_disk_set_options(disk.get(),
                                   ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT);

    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(in, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) fail(deb_path, member + ": " + cause(in));

      ExtractErrors errors{
          [&](const std::string& c) { fail(deb_path, member + ": " + c); },
          [&](const std::string& dest, const std::string& c) { fail(deb_path, "cannot write " + dest + ": " + c); }};
      std::string dest = extract_mapped_entry(in, disk.get(), e, mapper, errors);
      if (dest.empty()) continue;
      result.written.push_back(dest);
    }
    // Directory modes and times are applied here, after their contents.
    if (archive_write_close(disk.get()) != ARCHIVE_OK) fail(deb_path, cause(disk.get()));
  });
  return result;
}

DebControl read_deb_control(const std::string& deb_path) {
  std::string text;
  bool found = false;
  with_tar_member(deb_path, "control.tar", [&](archive* in, const std::string& member) {
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(in, &e);
      if (r == ARCHIVE_EOF) return;
      if (r < ARCHIVE_WARN) fail(deb_path, member + ": " + cause(in));
      if (normalise(deb_path, archive_entry_pathname(e)) != "control") continue;
      char buf[16 * 1024];
      la_ssize_t n;
      while ((n = archive_read_data(in, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
      if (n < 0) fail(deb_path, member + ": " + cause(in));
      found = true;
      return;
    }
  });
  if (!found) fail(deb_path, "control.tar has no control file");

  // deb822: "Field: value" at the start of a line; continuation lines start
  // with whitespace and never hold these two fields. Field names are case-insensitive.
  DebControl control;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    for (auto [field, out] : {std::pair{"Package:", &control.package}, std::pair{"Version:", &control.version}}) {
      size_t len = std::strlen(field);
      if (line.size() < len || strncasecmp(line.data(), field, len) != 0) continue;
      std::string_view value = line.substr(len);
      size_t b = value.find_first_not_of(" \t"), e = value.find_last_not_of(" \t\r");
      *out = b == std::string_view::npos ? "" : std::string(value.substr(b, e - b + 1));
    }
  }
  if (control.package.empty() || control.version.empty()) fail(deb_path, "control file lacks Package: or Version:");
  return control;
}

}  // namespace kreg
