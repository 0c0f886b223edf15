// Commits of a kernel git history as a bisect's kernels: good, then every
// commit after it up to bad along first parents (as `git bisect
// --first-parent` walks a history with merges). Each is checked out in one
// private tree (a `git clone --shared` beside kreg's cache, so the user's
// repository is never touched) and built there by the source path, so a
// step that changes a few files rebuilds a few objects.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "harness/bisect/kernel_sequence.hpp"

namespace kreg {

// Builds the kernel in `tree` (checked out at the commit to test); says in
// `how` what it did ("built incrementally: 12 objects", "cached"). Throws
// KregError on a build failure: that commit's step is skipped.
using TreeBuilder = std::function<KernelImage(const std::string& tree, std::string& how)>;

// Checks, before anything slow, each a one-line KregError: `repo` is a git
// repository; `good` and `bad` name commits in it; they differ; good is an
// ancestor of bad (else: swapped, or on different branches); the tree at bad
// is a Linux kernel tree (top Makefile with VERSION and PATCHLEVEL, Kconfig,
// arch/x86/). `work_dir` holds the private checkout.
std::unique_ptr<KernelSequence> commit_sequence(const std::string& repo, const std::string& good,
                                                const std::string& bad, const std::string& work_dir,
                                                TreeBuilder builder);

// The same list again from bisect.json's "sequence" (for --resume).
std::unique_ptr<KernelSequence> commit_sequence_from_json(const nlohmann::json& j, const std::string& work_dir,
                                                          TreeBuilder builder);

}  // namespace kreg
