#include "vm/guest/guest_environment.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "vm/guest/module_loader.hpp"

namespace kreg::guest {

namespace {

void mount_or_throw(const char* source, const char* target, const char* type, const char* data) {
  mkdir(target, 0755);
  if (mount(source, target, type, 0, data) != 0 && errno != EBUSY)
    throw std::runtime_error(std::string("cannot mount ") + type + " (" + (data ? data : "") + ") on " + target + ": " +
                             std::strerror(errno));
}

}  // namespace

void GuestEnvironment::use_cgroup_mode(const std::string& mode) {
  if (mode == mode_) return;
  if (!mode_.empty())
    throw std::runtime_error("this VM runs cgroup " + mode_ + " jobs; a cgroup " + mode +
                             " job needs a VM of its own (a controller cannot move between hierarchies)");
  mount_or_throw("cgroup_root", "/sys/fs/cgroup", "tmpfs", "mode=755");
  if (mode == "v1") {
    try {
      mount_or_throw("cgroup", "/sys/fs/cgroup/memory", "cgroup", "memory");
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string(e.what()) + " (kernel built without CONFIG_MEMCG_V1?)");
    }
    mount_or_throw("cgroup", "/sys/fs/cgroup/pids", "cgroup", "pids");
  } else if (mode == "v2") {
    mount_or_throw("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", nullptr);
    std::ofstream("/sys/fs/cgroup/unified/cgroup.subtree_control") << "+memory +pids";
  } else {
    throw std::invalid_argument("unknown cgroup mode '" + mode + "' (v1 or v2)");
  }
  mode_ = mode;
}

nlohmann::json GuestEnvironment::mount_scratch_disk() {
  nlohmann::json steps = nlohmann::json::array();
  // No order file: the kernel has virtio-blk built in, nothing to load.
  if (access("/kreg/modules.order", R_OK) == 0)
    for (const std::string& line : load_modules("/kreg/modules.order")) steps.push_back(line);
  if (!wait_for_block_device("/dev/vda", 10000)) throw std::runtime_error("scratch disk /dev/vda never appeared");
  mkdir("/mnt", 0755);
  mount_or_throw("/dev/vda", "/mnt/scratch", "ext4", nullptr);
  context_.disk_dir = "/mnt/scratch";
  steps.push_back("mounted /dev/vda (ext4) on /mnt/scratch");
  return steps;
}

}  // namespace kreg::guest
