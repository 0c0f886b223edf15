#include "scenarios/memcg_churn.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/cgroup_lib.hpp"

namespace kreg {

namespace {

[[noreturn]] void sys_fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void mkdir_p(const std::string& dir) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) sys_fail("mkdir " + part);
  }
}

// The child's whole life: wait until the parent has moved us into the
// cgroup, write the page cache, exit. Only async-signal-safe calls: we are
// a fork of a possibly multi-threaded process.
[[noreturn]] void child_body(int go_fd, const char* path, size_t bytes) {
  char token;
  if (read(go_fd, &token, 1) != 1) _exit(3);
  if (bytes > 0) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) _exit(4);
    static char block[4096];
    memset(block, 'k', sizeof block);
    for (size_t left = bytes; left > 0;) {
      size_t n = left < sizeof block ? left : sizeof block;
      if (write(fd, block, n) != static_cast<ssize_t>(n)) _exit(5);
      left -= n;
    }
    close(fd);
  }
  _exit(0);
}

}  // namespace

MemcgChurner::MemcgChurner(MemcgChurnOptions options) : options_(std::move(options)) {
  mount_ = controller_mount_point("memory");
  CgroupPtr parent = make_cgroup(options_.parent, "memory");
  create_cgroup(parent.get());
  mkdir_p(options_.page_cache_dir);
}

void MemcgChurner::churn_one() {
  std::string name = options_.parent + "/memcg-" + std::to_string(churned_ + 1);
  std::string file = options_.page_cache_dir + "/" + std::to_string(churned_ + 1);
  CgroupPtr cg = make_cgroup(name, "memory");
  create_cgroup(cg.get());

  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) sys_fail("pipe");
  pid_t child = fork();
  if (child < 0) sys_fail("fork");
  if (child == 0) {
    close(go[1]);
    child_body(go[0], file.c_str(), options_.page_cache_bytes);
  }
  close(go[0]);
  // As a runtime does: the parent moves the child in before it runs its payload.
  std::string attach_error;
  try {
    attach_pid(cg.get(), child);
  } catch (const std::exception& e) {
    attach_error = e.what();
  }
  // Release the child either way; on attach failure it must not write into our cgroup.
  char token = attach_error.empty() ? 'g' : 'x';
  if (attach_error.empty()) (void)!write(go[1], &token, 1);
  close(go[1]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!attach_error.empty()) throw std::runtime_error(attach_error);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("page-cache writer in " + name + " failed (status " +
                             std::to_string(status) + ") writing " + file);
  delete_cgroup(cg.get());
  ++churned_;
}

}  // namespace kreg
