// What a bisect walks: an ordered list of kernels, oldest (good) first.
// Two kinds implement it: packaged kernels (Debian point releases, or
// .deb/.rpm/bzImage files in the order given: nothing to build) and commits
// of a git history (each built from source in one object tree). The search,
// the steps and the outputs never know which kind they walk.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

// One kernel of the list, before it is obtained.
struct SequenceEntry {
  std::string name;     // short, unique in the list: "6.1.0-52", "3f2a1bc"
  std::string title;    // "linux-image-6.1.0-52-cloud-amd64 6.1.180-1", a commit's subject
  nlohmann::json json;  // what identifies it (spec, package, version / commit), kept in bisect.json
};

// A kernel that cannot be had (download refused, build failure): its step is
// skipped, as `git bisect skip` skips a commit that does not build.
class StepSkip : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KernelSequence {
 public:
  virtual ~KernelSequence() = default;
  virtual std::string kind() const = 0;  // "packaged" | "commit"
  virtual const std::vector<SequenceEntry>& entries() const = 0;
  size_t size() const { return entries().size(); }

  // The kernel at `position`, ready to boot (cached, downloaded or built).
  // `how` says which ("cached", "downloaded", "built incrementally", ...).
  // Throws StepSkip when it cannot be had.
  virtual KernelImage obtain(size_t position, std::string& how) = 0;

  // The bad endpoint with `position`'s change reverted, when the revert
  // applies cleanly (commits only); nullopt with `why` otherwise.
  virtual std::optional<KernelImage> obtain_revert(size_t position, std::string& why) {
    (void)position;
    why = "packaged kernels have no revert";
    return std::nullopt;
  }

  // Everything --resume needs to rebuild the same list (bisect.json "sequence").
  virtual nlohmann::json to_json() const = 0;
};

}  // namespace kreg
