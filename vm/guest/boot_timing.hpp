// Where the guest's boot went, seen from inside: the kernel's own log
// (/dev/kmsg stamps, microseconds since the kernel's clock started) for
// initramfs unpacking and the start of /init, and the agent's CLOCK_BOOTTIME
// at its own steps. All in seconds on the same clock. What the host adds
// (QEMU start to hello, minus the guest's "hello") is firmware, loading the
// kernel and initramfs, and decompression: everything before that clock ran.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg::guest {

// Seconds since the guest kernel's clock started (CLOCK_BOOTTIME).
double boottime_s();

class BootTiming {
 public:
  // Stamps `step` now ("agent_start", "mounted", ...).
  void mark(const std::string& step) { agent_[step] = boottime_s(); }
  // {"kernel": {"initramfs_unpack_start", "initramfs_unpack_end", "run_init"},
  //  "agent": {step: s, ...}}; a marker the kernel did not log is left out.
  nlohmann::json report() const;

 private:
  nlohmann::json agent_ = nlohmann::json::object();
};

// The kernel markers out of /dev/kmsg-style records ("6,123,4567890,-;text"),
// one per line. Exposed for unit tests.
nlohmann::json kernel_boot_markers(const std::string& kmsg_records);

}  // namespace kreg::guest
