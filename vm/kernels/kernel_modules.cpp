#include "vm/kernels/kernel_modules.hpp"

#include <archive.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// Extensions a module file may carry; all but ".ko" need the host to
// decompress, since neither the agent nor every guest kernel can.
constexpr const char* kCompressedSuffixes[] = {".ko.xz", ".ko.zst", ".ko.gz"};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Module name of a file name, or "" when it is not a module file.
std::string module_name_of(const std::string& file_name, bool* compressed) {
  for (const char* suffix : kCompressedSuffixes)
    if (ends_with(file_name, suffix)) {
      *compressed = true;
      return canonical_module_name(file_name.substr(0, file_name.size() - std::strlen(suffix)));
    }
  *compressed = false;
  if (ends_with(file_name, ".ko")) return canonical_module_name(file_name.substr(0, file_name.size() - 3));
  return "";
}

std::string read_plain_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KregError("cannot read kernel module " + path + ": " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Decompresses whatever single-stream compression libarchive recognises; the
// "raw" format treats the decompressed payload as one entry.
std::string read_compressed_file(const std::string& path) {
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);  // may warn about external programs; harmless
  archive_read_support_format_raw(a);
  auto fail = [&](const std::string& what) {
    std::string message = "cannot decompress kernel module " + path + ": " + what + ": " +
                          (archive_error_string(a) ? archive_error_string(a) : "unknown error");
    archive_read_free(a);
    return KregError(message);
  };
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) throw fail("open");
  archive_entry* entry = nullptr;
  if (archive_read_next_header(a, &entry) != ARCHIVE_OK) throw fail("header");
  std::string data;
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) throw fail("read");
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  archive_read_free(a);
  return data;
}

// Reads a T at `offset` of `bytes`, bounds-checked and alignment-safe.
template <typename T>
T read_at(const std::string& bytes, uint64_t offset, const std::string& what) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T))
    throw KregError(what + ": truncated ELF (offset " + std::to_string(offset) + ")");
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

std::set<std::string> read_builtin(const std::string& modules_dir) {
  // Lines look like "kernel/fs/ext4/ext4.ko"; a missing file means "none".
  std::set<std::string> builtin;
  std::ifstream in(fs::path(modules_dir) / "modules.builtin");
  std::string line;
  bool ignored = false;
  while (std::getline(in, line)) {
    std::string name = module_name_of(fs::path(line).filename().string(), &ignored);
    if (!name.empty()) builtin.insert(name);
  }
  return builtin;
}

std::map<std::string, KernelModule> index_modules(const std::string& modules_dir) {
  std::error_code ec;
  if (!fs::is_directory(modules_dir, ec))
    throw KregError("kernel modules directory " + modules_dir + " does not exist");
  std::map<std::string, KernelModule> index;
  for (auto it = fs::recursive_directory_iterator(modules_dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    KernelModule m;
    m.name = module_name_of(it->path().filename().string(), &m.compressed);
    if (m.name.empty()) continue;
    m.host_path = it->path().string();
    m.guest_path = "lib/modules/" + m.name + ".ko";
    // Directory order is unspecified; keep the smallest path so duplicates
    // (rare: e.g. extra/ or updates/ copies) resolve the same way every run.
    auto [pos, inserted] = index.emplace(m.name, m);
    if (!inserted && m.host_path < pos->second.host_path) pos->second = m;
  }
  if (ec) throw KregError("cannot list kernel modules in " + modules_dir + ": " + ec.message());
  return index;
}

}  // namespace

std::string canonical_module_name(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::vector<std::string> modinfo_entries(const std::string& elf, const std::string& what) {
  if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0)
    throw KregError(what + ": not an ELF file");
  auto eh = read_at<Elf64_Ehdr>(elf, 0, what);
  // Guests are x86_64, so modules are ELF64 little-endian, like this host.
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    throw KregError(what + ": not a little-endian ELF64 module");
  if (eh.e_shoff == 0) throw KregError(what + ": ELF has no section headers");
  if (eh.e_shentsize < sizeof(Elf64_Shdr)) throw KregError(what + ": bad ELF section header size");
  auto section = [&](uint64_t i) { return read_at<Elf64_Shdr>(elf, eh.e_shoff + i * eh.e_shentsize, what); };
  // Extended numbering: huge section counts live in section 0.
  uint64_t shnum = eh.e_shnum ? eh.e_shnum : section(0).sh_size;
  uint64_t shstrndx = eh.e_shstrndx == SHN_XINDEX ? section(0).sh_link : eh.e_shstrndx;
  if (shstrndx >= shnum) throw KregError(what + ": bad ELF section-name table index");
  Elf64_Shdr names = section(shstrndx);
  if (names.sh_offset > elf.size() || elf.size() - names.sh_offset < names.sh_size)
    throw KregError(what + ": truncated ELF section-name table");
  for (uint64_t i = 0; i < shnum; ++i) {
    Elf64_Shdr sh = section(i);
    if (sh.sh_name >= names.sh_size) continue;
    const char* name = elf.data() + names.sh_offset + sh.sh_name;
    size_t max_len = names.sh_size - sh.sh_name;
    if (strnlen(name, max_len) == max_len || std::strcmp(name, ".modinfo") != 0) continue;
    if (sh.sh_offset > elf.size() || elf.size() - sh.sh_offset < sh.sh_size)
      throw KregError(what + ": truncated .modinfo section");
    std::vector<std::string> entries;
    std::string body = elf.substr(sh.sh_offset, sh.sh_size);
    std::istringstream in(body);
    // Entries are NUL-terminated; alignment padding shows up as empty ones.
    for (std::string entry; std::getline(in, entry, '\0');)
      if (!entry.empty()) entries.push_back(entry);
    return entries;
  }
  return {};
}

std::string module_bytes(const KernelModule& m) {
  return m.compressed ? read_compressed_file(m.host_path) : read_plain_file(m.host_path);
}

std::vector<KernelModule> module_closure(const std::string& modules_dir, const std::vector<std::string>& wanted) {
  std::map<std::string, KernelModule> index = index_modules(modules_dir);
  std::set<std::string> builtin = read_builtin(modules_dir);
  std::vector<KernelModule> order;
  std::set<std::string> done, in_progress;

  // Depth-first post-order: a module is appended only after its depends,
  // which is exactly the order init_module needs (no modules.dep to ask).
  auto visit = [&](auto&& self, const std::string& raw_name, const std::string& needed_by) -> void {
    std::string name = canonical_module_name(raw_name);
    if (done.count(name) || builtin.count(name)) return;
    if (in_progress.count(name))
      throw KregError("kernel module dependency cycle through '" + name + "' in " + modules_dir);
    auto it = index.find(name);
    if (it == index.end())
      throw KregError("kernel module '" + name + "'" + (needed_by.empty() ? "" : " (needed by '" + needed_by + "')") +
                      " is neither a module file in " + modules_dir + " nor listed in its modules.builtin");
    KernelModule m = it->second;
    for (const std::string& entry : modinfo_entries(module_bytes(m), m.host_path)) {
      if (entry.rfind("depends=", 0) != 0) continue;
      std::istringstream list(entry.substr(8));
      for (std::string dep; std::getline(list, dep, ',');)
        if (!dep.empty()) m.depends.push_back(canonical_module_name(dep));
    }
    in_progress.insert(name);
    for (const std::string& dep : m.depends) self(self, dep, name);
    in_progress.erase(name);
    done.insert(name);
    order.push_back(std::move(m));
  };
  for (const std::string& w : wanted) visit(visit, w, "");
  return order;
}

}  // namespace kreg
