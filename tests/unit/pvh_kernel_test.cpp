// PVH boot's input: the vmlinux inside a bzImage. A bzImage is built here the
// way the kernel's build lays it out (setup header with "HdrS", setup
// sectors, a gzip payload with the uncompressed size appended), around a
// small ELF with or without the Xen PVH entry note; the real kernels are
// booted that way by the VM tests.
#include <elf.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <string>

#include "vm/boot/pvh_kernel.hpp"

namespace kreg {
namespace {

std::string elf_with_note(uint32_t note_type) {
  std::string out(sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), '\0');
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Nhdr nh{4, 4, note_type};
  std::string note(reinterpret_cast<const char*>(&nh), sizeof nh);
  note += std::string("Xen\0", 4) + std::string("\x00\x00\x00\x01", 4);
  Elf64_Phdr ph{};
  ph.p_type = PT_NOTE;
  ph.p_offset = out.size();
  ph.p_filesz = note.size();
  std::memcpy(out.data(), &eh, sizeof eh);
  std::memcpy(out.data() + sizeof eh, &ph, sizeof ph);
  return out + note + std::string(4096, 'k');  // and some "code"
}

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);  // 31: gzip wrapper
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string bzimage_around(const std::string& vmlinux, uint16_t version = 0x020f) {
  const uint8_t setup_sects = 3;
  std::string image((setup_sects + 1) * 512, '\0');
  const uint32_t payload_offset = 0x100;
  std::string payload = gzip(vmlinux);
  const uint32_t size = static_cast<uint32_t>(vmlinux.size());
  payload.append(reinterpret_cast<const char*>(&size), 4);
  const uint32_t payload_length = static_cast<uint32_t>(payload.size());
  image[0x1f1] = static_cast<char>(setup_sects);
  std::memcpy(image.data() + 0x202, "HdrS", 4);
  std::memcpy(image.data() + 0x206, &version, 2);
  std::memcpy(image.data() + 0x248, &payload_offset, 4);
  std::memcpy(image.data() + 0x24c, &payload_length, 4);
  return image + std::string(payload_offset, 'd') + payload + std::string(512, 'z');
}

TEST(PvhKernel, ThePayloadIsTheUncompressedKernel) {
  const std::string vmlinux = elf_with_note(18);
  EXPECT_EQ(bzimage_payload(bzimage_around(vmlinux)), vmlinux);
}

TEST(PvhKernel, OnlyTheXenPhys32EntryNoteCounts) {
  EXPECT_TRUE(elf_has_pvh_entry(elf_with_note(18)));
  EXPECT_FALSE(elf_has_pvh_entry(elf_with_note(17))) << "XEN_ELFNOTE_ENTRY is the PV entry, not PVH";
  EXPECT_FALSE(elf_has_pvh_entry("not an elf"));
}

TEST(PvhKernel, WhatIsNotABzImageGivesNothing) {
  const std::string vmlinux = elf_with_note(18);
  EXPECT_EQ(bzimage_payload(vmlinux), "");
  EXPECT_EQ(bzimage_payload(bzimage_around(vmlinux, 0x0207)), "") << "boot protocol 2.07 states no payload";
  std::string cut = bzimage_around(vmlinux);
  EXPECT_EQ(bzimage_payload(cut.substr(0, cut.size() - 600)), "") << "a truncated image";
}

}  // namespace
}  // namespace kreg
