// Shared-library closure computed by reading ELF64 headers directly (<elf.h>)
// rather than running ldd, which executes the binary's loader on the host.
//
// The search mirrors glibc's ld.so closely enough for the guest: libraries
// are loaded breadth-first, a name that matches an already loaded object
// (by DT_NEEDED name or DT_SONAME) is not searched again, and each object's
// DT_NEEDED entries are looked up in
//   DT_RUNPATH of that object, if it has one; otherwise DT_RPATH of the
//   object and of every object up the chain that loaded it;
// then the fixed default directories below (no ld.so.cache, no
// LD_LIBRARY_PATH: the guest has neither).
#include "vm/boot/elf_closure.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "vm/common/error.hpp"

namespace kreg {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kDefaultDirs = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"};

// Bounds-checked pread access to one file.
class File {
 public:
  explicit File(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat st {};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode))
      size_ = static_cast<uint64_t>(st.st_size);
    else
      error_ = fd_ < 0 ? std::strerror(errno) : "not a regular file";
  }
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;  // owns fd_

  const std::string& error() const { return error_; }  // empty when usable

  // Exactly [off, off+len) or false; checks the range before allocating so a
  // corrupt header cannot make us allocate gigabytes.
  bool read(uint64_t off, uint64_t len, std::string& out) const {
    if (!error_.empty() || off > size_ || len > size_ - off) return false;
    out.resize(len);
    for (uint64_t done = 0; done < len;) {
      ssize_t n = ::pread(fd_, out.data() + done, len - done, static_cast<off_t>(off + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<uint64_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  uint64_t size_ = 0;
  std::string error_;
};

bool read_ehdr(const File& f, Elf64_Ehdr& eh) {
  std::string buf;
  if (!f.read(0, sizeof eh, buf)) return false;
  std::memcpy(&eh, buf.data(), sizeof eh);
  return std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
         eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_phentsize == sizeof(Elf64_Phdr);
}

struct ElfInfo {
  std::string interp, soname;
  std::vector<std::string> needed, rpath, runpath;  // rpath/runpath: raw ':'-separated strings
};

// Reads PT_INTERP and the dynamic section. DT_STRTAB holds a virtual
// address, so it is translated to a file offset through the PT_LOAD segments.
// Returns false (with `why`) on a truncated or inconsistent file.
bool parse_elf(const File& f, const Elf64_Ehdr& eh, ElfInfo& info, std::string& why) {
  auto bad = [&](const char* what) {
    why = what;
    return false;
  };
  std::string buf;
  if (!f.read(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), buf)) return bad("bad program headers");
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  std::memcpy(ph.data(), buf.data(), buf.size());

  std::vector<Elf64_Dyn> dyn;
  for (const auto& p : ph) {
    if (p.p_type == PT_INTERP) {
      if (!f.read(p.p_offset, p.p_filesz, buf)) return bad("bad PT_INTERP");
      info.interp = buf.c_str();  // drops the trailing NUL
    } else if (p.p_type == PT_DYNAMIC) {
      if (!f.read(p.p_offset, p.p_filesz, buf)) return bad("bad PT_DYNAMIC");
      dyn.resize(buf.size() / sizeof(Elf64_Dyn));
      std::memcpy(dyn.data(), buf.data(), dyn.size() * sizeof(Elf64_Dyn));
    }
  }

  uint64_t strtab_addr = 0, strsz = 0;
  std::vector<std::pair<int64_t, uint64_t>> strings;  // (tag, offset in strtab)
  for (const auto& d : dyn) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_STRTAB)
      strtab_addr = d.d_un.d_ptr;
    else if (d.d_tag == DT_STRSZ)
      strsz = d.d_un.d_val;
    else if (d.d_tag == DT_NEEDED || d.d_tag == DT_SONAME || d.d_tag == DT_RPATH || d.d_tag == DT_RUNPATH)
      strings.emplace_back(d.d_tag, d.d_un.d_val);
  }
  if (strings.empty()) return true;

  std::string strtab;
  bool mapped = false;
  for (const auto& p : ph) {
    if (p.p_type == PT_LOAD && strtab_addr >= p.p_vaddr && strtab_addr - p.p_vaddr < p.p_filesz) {
      mapped = f.read(p.p_offset + (strtab_addr - p.p_vaddr), strsz, strtab);
      break;
    }
  }
  if (!mapped) return bad("DT_STRTAB not inside a loaded segment");

  for (const auto& [tag, off] : strings) {
    if (off >= strtab.size()) return bad("string offset outside DT_STRTAB");
    std::string s(strtab.c_str() + off, strnlen(strtab.c_str() + off, strtab.size() - off));
    if (tag == DT_NEEDED)
      info.needed.push_back(s);
    else if (tag == DT_SONAME)
      info.soname = s;
    else if (tag == DT_RPATH)
      info.rpath.push_back(s);
    else
      info.runpath.push_back(s);
  }
  // As in glibc: an object with DT_RUNPATH has its DT_RPATH ignored.
  if (!info.runpath.empty()) info.rpath.clear();
  return true;
}

// Splits "a:$ORIGIN/../lib" into absolute, normalised directories.
std::vector<std::string> expand_path_list(const std::vector<std::string>& lists, const std::string& origin) {
  std::vector<std::string> dirs;
  for (const auto& list : lists) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = std::min(list.find(':', start), list.size());
      std::string dir = list.substr(start, end - start);
      start = end + 1;
      if (dir.empty()) continue;
      for (const char* token : {"${ORIGIN}", "$ORIGIN"})
        for (size_t pos; (pos = dir.find(token)) != std::string::npos;) dir.replace(pos, std::strlen(token), origin);
      dirs.push_back(fs::absolute(dir).lexically_normal().string());
    }
  }
  return dirs;
}

// "/lib64/ld-linux-x86-64.so.2" -> "lib64/ld-linux-x86-64.so.2" (initramfs paths are relative).
std::string without_root(const std::string& abs) {
  std::string s = fs::path(abs).lexically_normal().string();
  size_t first = s.find_first_not_of('/');
  return first == std::string::npos ? "" : s.substr(first);
}

class Closure {
 public:
  explicit Closure(std::string binary) : binary_(std::move(binary)) {}

  std::vector<ElfDependency> run() {
    File f(binary_);
    if (!f.error().empty()) fail("cannot open: " + f.error());
    if (!read_ehdr(f, root_)) fail("not a 64-bit ELF file");
    ElfInfo info;
    std::string why;
    if (!parse_elf(f, root_, info, why)) fail("malformed ELF: " + why);
    if (info.interp.empty() && info.needed.empty()) return {};  // static (incl. static-pie)

    if (!info.interp.empty()) add_interpreter(info.interp);
    // $ORIGIN of the executable is its real location (the kernel resolves symlinks).
    std::string origin = fs::path(real(binary_)).parent_path().string();
    queue_.push_back({binary_, info, {}, origin});
    while (!queue_.empty()) {
      Pending obj = std::move(queue_.front());
      queue_.pop_front();
      load_needed(obj);
    }
    return result_;
  }

 private:
  struct Pending {
    std::string path;
    ElfInfo info;
    std::vector<std::string> inherited_rpath;  // expanded DT_RPATH of the loader chain
    std::string origin;
  };

  [[noreturn]] void fail(const std::string& cause) const {
    throw KregError("cannot compute shared-library closure of " + binary_ + ": " + cause);
  }

  std::string real(const std::string& path) const {
    std::error_code ec;
    fs::path p = fs::canonical(path, ec);
    if (ec) fail("cannot resolve " + path + ": " + ec.message());
    return p.string();
  }

  void add_interpreter(const std::string& interp) {
    File f(interp);
    if (!f.error().empty()) fail("interpreter " + interp + " not found: " + f.error());
    Elf64_Ehdr eh{};
    ElfInfo info;
    std::string why;
    if (!read_ehdr(f, eh) || !parse_elf(f, eh, info, why)) fail("interpreter " + interp + " is not a valid ELF64 file");
    result_.push_back({interp, real(interp), without_root(interp)});
    // The loader is already mapped, so libc's DT_NEEDED on it is satisfied.
    loaded_.insert(fs::path(interp).filename().string());
    if (!info.soname.empty()) loaded_.insert(info.soname);
  }

  void load_needed(const Pending& obj) {
    // This object's DT_RPATH (cleared if it has DT_RUNPATH) followed by its loaders'.
    std::vector<std::string> chain = expand_path_list(obj.info.rpath, obj.origin);
    chain.insert(chain.end(), obj.inherited_rpath.begin(), obj.inherited_rpath.end());
    std::vector<std::string> search = obj.info.runpath.empty() ? chain : expand_path_list(obj.info.runpath, obj.origin);
    search.insert(search.end(), kDefaultDirs.begin(), kDefaultDirs.end());

    for (const auto& name : obj.info.needed) {
      if (loaded_.count(name)) continue;
      std::vector<std::string> candidates;
      if (name.find('/') != std::string::npos) {
        candidates.push_back(fs::absolute(name).lexically_normal().string());  // a path, used as is
      } else {
        for (const auto& dir : search) candidates.push_back(dir + "/" + name);
      }
      bool found = std::any_of(candidates.begin(), candidates.end(),
                               [&](const std::string& c) { return try_load(name, c, chain); });
      if (!found) {
        std::string tried;
        for (const auto& c : candidates) tried += (tried.empty() ? "" : ", ") + fs::path(c).parent_path().string();
        fail(name + " (needed by " + obj.path + ") not found in " + tried);
      }
    }
  }

  // Loads `candidate` as DT_NEEDED `name` unless it is missing or built for
  // another machine (ld.so skips e.g. i386 libraries in /usr/lib the same way).
  bool try_load(const std::string& name, const std::string& candidate, const std::vector<std::string>& chain) {
    File f(candidate);
    Elf64_Ehdr eh{};
    if (!f.error().empty() || !read_ehdr(f, eh) || eh.e_machine != root_.e_machine) return false;
    ElfInfo info;
    std::string why;
    if (!parse_elf(f, eh, info, why)) fail("malformed ELF " + candidate + ": " + why);
    result_.push_back({name, real(candidate), without_root(candidate)});
    loaded_.insert(name);
    if (!info.soname.empty()) loaded_.insert(info.soname);
    queue_.push_back({candidate, std::move(info), chain, fs::path(candidate).parent_path().string()});
    return true;
  }

  std::string binary_;
  Elf64_Ehdr root_{};
  std::vector<ElfDependency> result_;
  std::set<std::string> loaded_;
  std::deque<Pending> queue_;
};

}  // namespace

std::vector<ElfDependency> elf_shared_closure(const std::string& binary_path) { return Closure(binary_path).run(); }

}  // namespace kreg
