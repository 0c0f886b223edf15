// Assembles the guest's initramfs: the agent as /init, the benchmark binary
// with its shared-library closure, and the job list.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vm/kernels/kernel_modules.hpp"

namespace kreg {

struct GuestBinaries {
  std::string agent;       // static kreg-agent
  std::string statbench;   // dynamic kreg-statbench
  std::string spawner;     // static kreg-memcg-spawner (memcg-churn's fork way)
  std::string raw_dir;     // static raw-syscall floor loops (build/raw)
  std::string busybox;     // static busybox for the shell proof of concept ("" = left out)
  std::string poc_script;  // bench/memcg_poc.sh
};

// The raw floor loops carried into the guest (bench/raw/).
inline const char* const kRawLoops[] = {"memcg_raw", "netns_raw", "dentry_negative_raw", "pause_loop_raw"};

// The guest binaries built beside the running kreg executable. Throws
// KregError naming the missing file (build first).
GuestBinaries locate_guest_binaries();

// Writes the initramfs to `out_path`. `jobs` becomes /kreg/jobs.json; the
// modules (uncompressed) go to /lib/modules/ with their load order in
// /kreg/modules.order.
void build_guest_image(const std::string& out_path, const GuestBinaries& binaries, const nlohmann::json& jobs,
                       const std::vector<KernelModule>& modules = {});

}  // namespace kreg
