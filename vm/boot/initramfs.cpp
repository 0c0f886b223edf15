// cpio "newc" writer for the guest initramfs, built on libarchive.
//
// The kernel's initramfs unpacker (init/initramfs.c) does not create missing
// parent directories, so every directory must appear in the archive before
// anything inside it. We emit each parent once, right before the first entry
// that needs it.
#include "vm/boot/initramfs.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vm/archive/archive_util.hpp"
#include "vm/common/error.hpp"

namespace kreg {
namespace {

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchivePtr = ArchiveWritePtr;
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// Closes an fd on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// libarchive's errno is more useful than its message ("Failed to open ..."),
// which would repeat the path we already name.
std::string archive_cause(archive* a) {
  int err = archive_errno(a);
  if (err > 0) return std::strerror(err);
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

// "/a//b/" -> "a/b"; rejects empty paths and ".." so nothing escapes rootfs.
std::string normalise(const std::string& out_path, const std::string& path) {
  std::string result;
  try {
    result = normalise_member_path(path);
  } catch (const std::invalid_argument&) {
    throw KregError("cannot write initramfs " + out_path + ": entry path '" + path + "' contains '..'");
  }
  if (result.empty()) throw KregError("cannot write initramfs " + out_path + ": empty entry path");
  return result;
}

class Writer {
 public:
  explicit Writer(const std::string& out_path) : out_path_(out_path), a_(archive_write_new()) {
    if (!a_) fail("out of memory");
    if (archive_write_set_format_cpio_newc(a_.get()) != ARCHIVE_OK ||
        archive_write_add_filter_none(a_.get()) != ARCHIVE_OK)
      fail(archive_cause(a_.get()));
    // No padding to a 10 KiB block: the image is read by the kernel, not a tape drive.
    archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (archive_write_open_filename(a_.get(), out_path.c_str()) != ARCHIVE_OK)
      fail(archive_cause(a_.get()) + " (choose a writable --work-dir)");
    opened_ = true;
  }

  // A half-written image would boot into a confusing kernel panic; remove it.
  ~Writer() {
    if (opened_ && !finished_) {
      a_.reset();
      ::unlink(out_path_.c_str());
    }
  }

  void set_directory_modes(std::map<std::string, unsigned> modes) { dir_modes_ = std::move(modes); }

  void add(const InitramfsEntry& in) {
    const std::string path = normalise(out_path_, in.archive_path);
    add_parents(path);
    switch (in.kind) {
      case InitramfsEntry::Kind::Directory:
        add_directory(path);
        break;
      case InitramfsEntry::Kind::Symlink: {
        EntryPtr e = make_entry(path, AE_IFLNK, 0777);
        archive_entry_set_symlink(e.get(), in.link_target.c_str());
        write_header(e.get(), path);
        break;
      }
      case InitramfsEntry::Kind::File:
        if (in.host_path.empty()) {
          EntryPtr e = make_entry(path, AE_IFREG, in.mode);
          archive_entry_set_size(e.get(), static_cast<la_int64_t>(in.content.size()));
          write_header(e.get(), path);
          write_data(in.content.data(), in.content.size(), path);
        } else {
          add_host_file(path, in);
        }
        break;
    }
  }

  void finish() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) fail(archive_cause(a_.get()));
    finished_ = true;
  }

 private:
  [[noreturn]] void fail(const std::string& cause) const {
    throw KregError("cannot write initramfs " + out_path_ + ": " + cause);
  }

  EntryPtr make_entry(const std::string& path, unsigned type, unsigned mode) {
    EntryPtr e(archive_entry_new());
    if (!e) fail("out of memory");
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), mode & 07777);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_size(e.get(), 0);  // libarchive insists; files override it
    archive_entry_set_nlink(e.get(), type == AE_IFDIR ? 2 : 1);
    // Distinct inode numbers: the kernel treats equal (ino, nlink > 1) as hard links.
    archive_entry_set_ino(e.get(), ++next_ino_);
    archive_entry_set_mtime(e.get(), 0, 0);  // reproducible images
    return e;
  }

  void add_parents(const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      add_directory(path.substr(0, slash));
  }

  void add_directory(const std::string& path) {
    if (!dirs_.insert(path).second) return;  // each directory exactly once
    auto it = dir_modes_.find(path);
    EntryPtr e = make_entry(path, AE_IFDIR, it == dir_modes_.end() ? 0755 : it->second);
    write_header(e.get(), path);
  }

  void add_host_file(const std::string& path, const InitramfsEntry& in) {
    Fd f{::open(in.host_path.c_str(), O_RDONLY | O_CLOEXEC)};
    struct stat st {};
    if (f.fd < 0 || ::fstat(f.fd, &st) != 0) fail("cannot read " + in.host_path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail("cannot read " + in.host_path + ": not a regular file");
    EntryPtr e = make_entry(path, AE_IFREG, in.mode);
    archive_entry_set_size(e.get(), st.st_size);
    write_header(e.get(), path);
    // Stream in chunks: the guest payload includes binaries tens of MB large.
    std::vector<char> buf(1 << 20);
    off_t remaining = st.st_size;
    while (remaining > 0) {
      ssize_t n = ::read(f.fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot read " + in.host_path + ": " + std::strerror(errno));
      // The header already promised st_size bytes; a shrinking file would corrupt the archive.
      if (n == 0) fail("cannot read " + in.host_path + ": file shrank while reading");
      size_t take = static_cast<size_t>(std::min<off_t>(n, remaining));
      write_data(buf.data(), take, path);
      remaining -= static_cast<off_t>(take);
    }
  }

  void write_header(archive_entry* e, const std::string& path) {
    if (archive_write_header(a_.get(), e) != ARCHIVE_OK) fail("entry " + path + ": " + archive_cause(a_.get()));
  }

  void write_data(const char* data, size_t size, const std::string& path) {
    while (size > 0) {
      la_ssize_t n = archive_write_data(a_.get(), data, size);
      if (n <= 0) fail("entry " + path + ": " + archive_cause(a_.get()));
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  std::string out_path_;
  ArchivePtr a_;
  bool opened_ = false, finished_ = false;
  std::set<std::string> dirs_;
  std::map<std::string, unsigned> dir_modes_;
  la_int64_t next_ino_ = 0;
};

}  // namespace

void write_initramfs(const std::string& out_path, const std::vector<InitramfsEntry>& entries) {
  // Explicit Directory entries decide their own mode even when a child entry
  // comes first and forces the directory out early as a parent.
  std::map<std::string, unsigned> dir_modes;
  for (const auto& e : entries)
    if (e.kind == InitramfsEntry::Kind::Directory) dir_modes[normalise(out_path, e.archive_path)] = e.mode;

  Writer w(out_path);
  w.set_directory_modes(std::move(dir_modes));
  for (const auto& e : entries) w.add(e);
  w.finish();
}

}  // namespace kreg
