#include "scenarios/cgroup_lib.hpp"

#include <cstdlib>
#include <stdexcept>

namespace kreg {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& name, int code) {
  std::string detail = cgroup_strerror(code);
  if (code == ECGOTHER) detail += std::string(" (errno: ") + std::to_string(cgroup_get_last_errno()) + ")";
  throw std::runtime_error(what + " cgroup '" + name + "': " + detail);
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

void delete_cgroup(cgroup* cg) {
  if (int rc = cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_IGNORE_MIGRATION | CGFLAG_DELETE_EMPTY_ONLY);
      rc != 0)
    fail("cannot delete", cgroup_get_cgroup_name(cg), rc);
}

}  // namespace kreg
