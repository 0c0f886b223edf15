#include "vm/boot/pvh_kernel.hpp"

#include <elf.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "vm/archive/archive_util.hpp"
#include "vm/common/text_file.hpp"

namespace kreg {

namespace {

template <typename T>
bool read_at(const std::string& bytes, size_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

constexpr uint32_t kXenElfnotePhys32Entry = 18;

// gzip with zlib, which stops at the end of the member: libarchive reads
// the padding after it as another member and fails the call that would
// have returned the kernel's last bytes.
std::string gunzip_exactly(std::string_view gz, uint32_t size) {
  std::string out(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return "";
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = size;
  const int rc = inflate(&z, Z_FINISH);
  const bool whole = rc == Z_STREAM_END && z.total_out == size;
  inflateEnd(&z);
  return whole ? out : "";
}

}  // namespace

std::string bzimage_payload(const std::string& image) {
  // The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst):
  // "HdrS" at 0x202, setup_sects at 0x1f1, payload_offset/length (2.08+) at
  // 0x248/0x24c, relative to the protected-mode code after the setup sectors.
  uint32_t magic = 0, payload_offset = 0, payload_length = 0;
  uint16_t version = 0;
  uint8_t setup_sects = 0;
  if (!read_at(image, 0x202, magic) || magic != 0x53726448 || !read_at(image, 0x206, version) || version < 0x208 ||
      !read_at(image, 0x1f1, setup_sects) || !read_at(image, 0x248, payload_offset) ||
      !read_at(image, 0x24c, payload_length))
    return "";
  const size_t start = (static_cast<size_t>(setup_sects == 0 ? 4 : setup_sects) + 1) * 512 + payload_offset;
  if (payload_length < 4 || start > image.size() || image.size() - start < payload_length) return "";
  // The build appends the uncompressed size (little-endian) to every payload.
  uint32_t size = 0;
  read_at(image, start + payload_length - 4, size);
  if (payload_length >= 2 && static_cast<unsigned char>(image[start]) == 0x1f &&
      static_cast<unsigned char>(image[start + 1]) == 0x8b)
    return gunzip_exactly(std::string_view(image).substr(start, payload_length), size);
  ArchiveReadPtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  archive_entry* entry = nullptr;
  // Without the size: zstd reads it as the start of another frame and fails
  // the call that would have returned the kernel's last bytes.
  if (archive_read_open_memory(a.get(), image.data() + start, payload_length - 4) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &entry) != ARCHIVE_OK)
    return "";
  std::string out;
  out.reserve(size);
  char buf[1 << 16];
  // Stops at the stated size.
  while (out.size() < size) {
    la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (out.size() < size) return "";
  out.resize(size);
  return out;
}

bool elf_has_pvh_entry(const std::string& elf) {
  Elf64_Ehdr eh{};
  if (!read_at(elf, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
    return false;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    if (!read_at(elf, eh.e_phoff + static_cast<size_t>(i) * eh.e_phentsize, ph)) return false;
    if (ph.p_type != PT_NOTE) continue;
    for (size_t at = ph.p_offset; at + sizeof(Elf64_Nhdr) <= ph.p_offset + ph.p_filesz;) {
      Elf64_Nhdr nh{};
      if (!read_at(elf, at, nh)) return false;
      const size_t name_at = at + sizeof nh, desc_at = name_at + ((nh.n_namesz + 3) & ~3u);
      if (nh.n_type == kXenElfnotePhys32Entry && nh.n_namesz == 4 && name_at + 4 <= elf.size() &&
          std::memcmp(elf.data() + name_at, "Xen", 4) == 0)
        return true;
      at = desc_at + ((nh.n_descsz + 3) & ~3u);
    }
  }
  return false;
}

std::string pvh_kernel_for(const std::string& bzimage) {
  const std::string cached = bzimage + ".pvh", none = bzimage + ".no-pvh";
  std::error_code ec;
  if (std::filesystem::exists(cached, ec)) return cached;
  if (std::filesystem::exists(none, ec)) return "";
  const std::string elf = bzimage_payload(read_file_or_empty(bzimage));
  if (elf.empty() || !elf_has_pvh_entry(elf)) {
    std::ofstream(none).close();  // remembered: the next boot does not unpack again
    return "";
  }
  // Atomically: parallel units of one kernel may unpack it at once.
  const std::string tmp =
      cached + ".tmp." + std::to_string(getpid()) + "." + std::to_string(reinterpret_cast<uintptr_t>(&elf));
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(elf.data(), static_cast<std::streamsize>(elf.size()));
    if (!out.flush()) {  // a read-only or full cache: boot the bzImage
      std::filesystem::remove(tmp, ec);
      return "";
    }
  }
  std::filesystem::rename(tmp, cached, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return "";
  }
  return cached;
}

}  // namespace kreg
