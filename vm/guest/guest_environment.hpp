// Puts the guest in the state a job asks for before its sweep runs: the
// cgroup hierarchy in the job's mode, and the ext4 scratch disk when the
// host attached one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/generator.hpp"

namespace kreg::guest {

class GuestEnvironment {
 public:
  // Mounts the cgroup hierarchies for `mode` ("v1": memory and pids v1
  // hierarchies; "v2": cgroup2 with memory and pids enabled). The first job
  // fixes the mode for the VM: a controller bound to v1 cannot move to v2,
  // so a later job in the other mode throws (the host gives each mode its own VM).
  void use_cgroup_mode(const std::string& mode);

  // Loads the modules listed in /kreg/modules.order and mounts /dev/vda
  // (ext4) on /mnt/scratch; returns what happened, one line per step.
  nlohmann::json mount_scratch_disk();

  const GeneratorContext& context() const { return context_; }

 private:
  std::string mode_;
  GeneratorContext context_;
};

}  // namespace kreg::guest
