// KVM when it really works, else TCG. "Works" means QEMU itself boots a
// one-sector guest under KVM that writes to its serial port: /dev/kvm can
// exist, create VMs and even run a bare HLT on hosts where QEMU then aborts
// setting MSRs or spins forever (seen on sandboxed nested hosts).
#pragma once

#include <string>

namespace kreg {

enum class Accelerator { Kvm, Tcg };

std::string to_string(Accelerator a);

struct AcceleratorChoice {
  Accelerator accelerator;
  std::string reason;  // why this one, for the record and the report
};

// The QEMU binary `name` resolved on PATH (or a path); throws KregError
// naming it and the fix when it is missing. The one place that says so.
std::string find_qemu(const std::string& name);

// `requested` is "auto", "kvm" or "tcg". "kvm" when KVM does not work throws
// KregError; "auto" falls back to TCG and says why.
AcceleratorChoice choose_accelerator(const std::string& requested, const std::string& qemu_binary);

// Returns "" if KVM works for `qemu_binary`, else the reason it does not.
// Bounded to a few seconds.
std::string kvm_unusable_reason(const std::string& qemu_binary);

}  // namespace kreg
