// .rpm extraction with libarchive: its "rpm" read filter skips the 96-byte
// lead and the signature and main headers, the payload compression (gzip on
// old packages, xz on RHEL/CentOS, zstd on Fedora, lzma, bzip2) is detected
// by the next filter, and what is left is a cpio (newc) archive. Nothing is
// buffered whole. The main header is parsed here only for the package's
// name, version, release, arch and payload compressor.
#include "vm/archive/rpm_extract.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
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

// A package that is not whole or not an RPM: the fix is another download.
[[noreturn]] void fail(const std::string& rpm, const std::string& cause) {
  throw KregError("cannot read RPM package " + rpm + ": " + cause + " (download the package again)");
}

[[noreturn]] void fail_write(const std::string& rpm, const std::string& dest, const std::string& cause) {
  throw KregError("cannot extract RPM package " + rpm + ": cannot write " + dest + ": " + cause +
                  " (check free space and permissions of the kreg cache)");
}

std::string cause(archive* a) { return archive_message(a); }

uint32_t be32(const unsigned char* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

// One header structure: magic 8e ad e8 01, 4 reserved bytes, index entry
// count, data store size (big-endian), then the index and the store.
struct HeaderBlob {
  std::vector<unsigned char> index, store;
};

HeaderBlob read_header_blob(const std::string& rpm, std::ifstream& in, const char* which) {
  unsigned char intro[16];
  if (!in.read(reinterpret_cast<char*>(intro), sizeof intro)) fail(rpm, std::string("truncated ") + which + " header");
  if (intro[0] != 0x8e || intro[1] != 0xad || intro[2] != 0xe8 || intro[3] != 0x01)
    fail(rpm, std::string("bad ") + which + " header magic");
  uint32_t entries = be32(intro + 8), store_size = be32(intro + 12);
  if (entries > (1u << 20) || store_size > (256u << 20))
    fail(rpm, std::string("implausible ") + which + " header size");
  HeaderBlob blob{std::vector<unsigned char>(size_t(entries) * 16), std::vector<unsigned char>(store_size)};
  if (!in.read(reinterpret_cast<char*>(blob.index.data()), std::streamsize(blob.index.size())) ||
      !in.read(reinterpret_cast<char*>(blob.store.data()), std::streamsize(blob.store.size())))
    fail(rpm, std::string("truncated ") + which + " header");
  return blob;
}

// Reads a string tag, or the first string of a string-array tag.
std::map<uint32_t, std::string> string_tags(const HeaderBlob& h) {
  enum : uint32_t { kString = 6, kStringArray = 8, kI18nString = 9 };
  std::map<uint32_t, std::string> tags;
  for (size_t at = 0; at + 16 <= h.index.size(); at += 16) {
    uint32_t tag = be32(&h.index[at]), type = be32(&h.index[at + 4]), offset = be32(&h.index[at + 8]);
    if ((type != kString && type != kStringArray && type != kI18nString) || offset >= h.store.size()) continue;
    const char* begin = reinterpret_cast<const char*>(h.store.data()) + offset;
    tags[tag] = std::string(begin, strnlen(begin, h.store.size() - offset));
  }
  return tags;
}

// Copies the current entry's data block by block (keeps sparse files sparse).

}  // namespace

RpmHeader read_rpm_header(const std::string& rpm_path) {
  std::ifstream in(rpm_path, std::ios::binary);
  if (!in) throw KregError("cannot read RPM package " + rpm_path + ": missing or unreadable");
  unsigned char lead[96];
  if (!in.read(reinterpret_cast<char*>(lead), sizeof lead) || be32(lead) != 0xedabeedbu)
    fail(rpm_path, "not an RPM package (no RPM lead)");
  HeaderBlob signature = read_header_blob(rpm_path, in, "signature");
  size_t signature_size = 16 + signature.index.size() + signature.store.size();
  in.seekg(std::streamoff((8 - signature_size % 8) % 8), std::ios::cur);  // padded to 8 bytes
  std::map<uint32_t, std::string> tags = string_tags(read_header_blob(rpm_path, in, "main"));
  RpmHeader h{tags[1000], tags[1001], tags[1002], tags[1022], tags[1125]};
  if (h.name.empty() || h.version.empty()) fail(rpm_path, "main header lacks NAME or VERSION");
  if (h.payload_compressor.empty()) h.payload_compressor = "gzip";  // rpm's default before the tag existed
  return h;
}

RpmExtractResult extract_rpm(const std::string& rpm_path, const RpmPathMapper& mapper) {
  // Validates the lead and names the compressor for the error message below.
  const RpmHeader header = read_rpm_header(rpm_path);
  RpmExtractResult result;
  ReadPtr in(archive_read_new());
  if (!in) throw KregError("cannot read RPM package " + rpm_path + ": out of memory");
  archive_read_support_filter_rpm(in.get());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_bzip2(in.get());
  archive_read_support_filter_xz(in.get());
  archive_read_support_filter_lzma(in.get());
  archive_read_support_filter_zstd(in.get());
  archive_read_support_format_cpio(in.get());
  // The header was whole, so a payload libarchive cannot open is corrupt or
  // compressed with something this libarchive was built without.
  const std::string payload = "payload: " + header.payload_compressor +
                              "-compressed cpio; download the package "
                              "again, or use a libarchive built with " +
                              header.payload_compressor;
  if (archive_read_open_filename(in.get(), rpm_path.c_str(), 64 * 1024) != ARCHIVE_OK)
    throw KregError("cannot read RPM package " + rpm_path + ": " + cause(in.get()) + " (" + payload + ")");

  WritePtr disk(archive_write_disk_new());
  if (!disk) throw KregError("cannot extract RPM package " + rpm_path + ": out of memory");
  // Mode and mtime are kept, ownership is not (the harness need not run as root).
  archive_write_disk_set_options(disk.get(),
                                 ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  for (bool first = true;; first = false) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN && first)
      throw KregError("cannot read RPM package " + rpm_path + ": " + cause(in.get()) + " (" + payload + ")");
    if (r < ARCHIVE_WARN) fail(rpm_path, cause(in.get()));

    ExtractErrors errors{[&](const std::string& c) { fail(rpm_path, c); },
                         [&](const std::string& dest, const std::string& c) { fail_write(rpm_path, dest, c); }};
    std::string dest = extract_mapped_entry(in.get(), disk.get(), e, mapper, errors);
    if (dest.empty()) continue;
    result.written.push_back(dest);
  }
  // Directory modes and times are applied here, after their contents.
  if (archive_write_close(disk.get()) != ARCHIVE_OK) fail_write(rpm_path, "its directories", cause(disk.get()));
  return result;
}

}  // namespace kreg
