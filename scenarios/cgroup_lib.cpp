#include "scenarios/cgroup_lib.hpp"

#include <cstring>
#include <fstream>
#include <functional>

#include "scenarios/generator.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace kreg {

namespace {
// A kernel errno behind libcgroup's ECGOTHER (ENOSPC at the memcg ID limit,
// ENOMEM, EBUSY) becomes a GeneratorError: a result to record, not a crash.
[[noreturn]] void fail(const std::string& what, const std::string& name, int code) {
  if (code == ECGOTHER) {
    int err = cgroup_get_last_errno();
    throw GeneratorError(what, err, what + " cgroup '" + name + "': " + std::strerror(err));
  }
  throw std::runtime_error(what + " cgroup '" + name + "': " + cgroup_strerror(code));
}

// A task killed and reaped can hold its cgroup for a moment, so a removal
// that finds it busy is tried again: 12 tries, 1 ms apart doubling up to
// 200 ms, about a second in all. `try_remove` returns true when it is done
// (removed, or failed for another reason); false when it found the cgroup
// busy. Returns false when it was still busy at the end.
bool retry_while_busy(const std::function<bool()>& try_remove) {
  for (int attempt = 0, delay_us = 1000;; ++attempt, delay_us *= 2) {
    if (try_remove()) return true;
    if (attempt == 11) return false;
    usleep(static_cast<useconds_t>(std::min(delay_us, 200000)));
  }
}

GeneratorError still_busy(const std::string& name) {
  return GeneratorError("rmdir", EBUSY,
                        "cannot delete cgroup '" + name + "': still busy after retrying for about a second");
}
}  // namespace

void ensure_libcgroup_initialised() {
  static int result = cgroup_init();
  if (result != 0)
    throw std::runtime_error(std::string("libcgroup cannot initialise: ") + cgroup_strerror(result) +
                             " (is a cgroup hierarchy mounted?)");
}

std::string controller_mount_point(const std::string& controller) {
  ensure_libcgroup_initialised();
  char* mount = nullptr;
  int rc = cgroup_get_subsys_mount_point(controller.c_str(), &mount);
  if (rc != 0 || mount == nullptr) fail("no mount for controller of", controller, rc);
  std::string out = mount;
  std::free(mount);
  return out;
}

CgroupPtr make_cgroup(const std::string& name, const std::string& controller) {
  ensure_libcgroup_initialised();
  CgroupPtr cg(cgroup_new_cgroup(name.c_str()));
  if (!cg || !cgroup_add_controller(cg.get(), controller.c_str()))
    throw std::runtime_error("cannot describe cgroup '" + name + "' with controller " + controller);
  return cg;
}

void create_cgroup(cgroup* cg) {
  if (int rc = cgroup_create_cgroup(cg, /*ignore_ownership=*/1); rc != 0)
    fail("cannot create", cgroup_get_cgroup_name(cg), rc);
}

void attach_pid(cgroup* cg, pid_t pid) {
  if (int rc = cgroup_attach_task_pid(cg, pid); rc != 0)
    fail("cannot attach pid " + std::to_string(pid) + " to", cgroup_get_cgroup_name(cg), rc);
}

void attach_self(cgroup* cg) {
  if (int rc = cgroup_attach_task(cg); rc != 0) fail("cannot move this process into", cgroup_get_cgroup_name(cg), rc);
}

void delete_cgroup(cgroup* cg) {
  int rc = 0;
  retry_while_busy([&] {
    rc = cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_IGNORE_MIGRATION | CGFLAG_DELETE_EMPTY_ONLY);
    // libcgroup 2.0 reports the kernel's EBUSY as ECGNONEMPTY without errno.
    return !(rc == ECGNONEMPTY || (rc == ECGOTHER && cgroup_get_last_errno() == EBUSY));
  });
  if (rc == 0) return;
  if (rc == ECGNONEMPTY) throw still_busy(cgroup_get_cgroup_name(cg));
  fail("cannot delete", cgroup_get_cgroup_name(cg), rc);
}

void rmdir_cgroup_fast(const std::string& dir) {
  int err = 0;
  const bool done = retry_while_busy([&] {
    err = rmdir(dir.c_str()) == 0 ? 0 : errno;
    return err != EBUSY;
  });
  if (!done) throw still_busy(dir);
  if (err != 0 && err != ENOENT) throw std::runtime_error("cannot remove cgroup " + dir + ": " + std::strerror(err));
}

void mkdir_cgroup_fast(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0) throw mkdir_error(dir, errno);
}

GeneratorError mkdir_error(const std::string& dir, int err) {
  return GeneratorError("mkdir", err, "cannot create cgroup " + dir + ": " + std::strerror(err));
}

void write_pid_fast(const std::string& dir, pid_t pid) {
  std::string path = dir + "/cgroup.procs", text = std::to_string(pid);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  int err = 0;
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) err = errno;
  if (fd >= 0) close(fd);
  if (err != 0) throw attach_error(dir, pid, err);
}

GeneratorError attach_error(const std::string& dir, pid_t pid, int err) {
  return GeneratorError("attach", err,
                        "cannot move pid " + std::to_string(pid) + " into " + dir + ": " + std::strerror(err));
}

void enable_subtree_controllers(const std::string& mount, const std::string& path,
                                const std::vector<std::string>& controllers) {
  if (access((mount + "/cgroup.controllers").c_str(), F_OK) != 0) return;  // v1
  std::string text;
  for (const auto& c : controllers) text += (text.empty() ? "+" : " +") + c;
  std::string dir = mount;
  for (size_t start = 0;;) {
    std::string file = dir + "/cgroup.subtree_control";
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      int err = errno;
      if (fd >= 0) close(fd);
      throw std::runtime_error("cannot enable " + text + " in " + file + ": " + std::strerror(err));
    }
    close(fd);
    if (start >= path.size()) break;
    size_t slash = path.find('/', start);
    dir = mount + "/" + path.substr(0, slash);
    start = slash == std::string::npos ? path.size() : slash + 1;
  }
}

std::string current_cgroup_path(const std::string& controller) {
  // /proc/self/cgroup rather than libcgroup: its lookup fails on a cgroup2
  // hierarchy ("N:memory:/path" on v1, "0::/path" on v2).
  std::ifstream in("/proc/self/cgroup");
  std::string unified;
  for (std::string line; std::getline(in, line);) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    std::string path = line.substr(second + 1);
    if (controllers == ",,") unified = path;
    if (controllers.find("," + controller + ",") != std::string::npos) return path;
  }
  if (!unified.empty()) return unified;
  throw std::runtime_error("cannot find this process's " + controller + " cgroup in /proc/self/cgroup");
}

}  // namespace kreg
