#include "vm/guest/module_loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace kreg::guest {

namespace {

// "/lib/modules/virtio_blk.ko" -> "virtio_blk", for the report lines.
std::string module_label(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  if (base.size() > 3 && base.compare(base.size() - 3, 3, ".ko") == 0) base.resize(base.size() - 3);
  return base;
}

// Reads the whole file for init_module, which (unlike finit_module) wants the
// image in memory. Returns false with errno set on failure.
bool read_all(int fd, std::string& out) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

// 0 on success, else the errno of the failing step.
int insert_module(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  // Module parameters are "" : the host chooses what to load, not how.
  if (syscall(SYS_finit_module, fd, "", 0) != 0) {
    err = errno;
    if (err == ENOSYS) {  // kernels (or seccomp setups) without finit_module
      std::string image;
      if (!read_all(fd, image)) {
        err = errno;
      } else {
        err = syscall(SYS_init_module, image.data(), static_cast<unsigned long>(image.size()), "") == 0 ? 0 : errno;
      }
    }
  }
  close(fd);
  return err;
}

}  // namespace

std::vector<std::string> load_modules(const std::string& order_file) {
  std::ifstream in(order_file);
  if (!in) throw std::runtime_error("cannot read module list " + order_file + ": " + std::strerror(errno));
  std::vector<std::string> report;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    int err = insert_module(line);
    std::string label = module_label(line);
    if (err == 0)
      report.push_back(label + ": loaded");
    else if (err == EEXIST)
      report.push_back(label + ": EEXIST (already present)");
    else
      report.push_back(label + ": error: " + std::strerror(err));
  }
  return report;
}

bool wait_for_block_device(const std::string& path, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // 10 ms: fine-grained enough to not slow boot, coarse enough to not spin.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace kreg::guest
