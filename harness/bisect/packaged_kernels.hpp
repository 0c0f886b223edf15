// Packaged kernels in order: every Debian point release of a suite in a
// version range (listed through kreg's private apt configuration, fetched
// only when a step needs it), or kernel specs and files in the order given.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/bisect/kernel_sequence.hpp"

namespace kreg {

// `specs` as the user gave them:
//  - one Debian spec naming a list: "debian:<suite>:<prefix>" (every
//    cloud-amd64 kernel whose ABI version starts with it, e.g.
//    debian:bookworm:6.1) or "debian:<suite>:<from>..<to>" (every one from
//    ABI version <from> to <to>, both included);
//  - else each spec is one kernel (a .deb, .rpm, bzImage, or a pinned
//    debian:<suite>:<abi>), in the order given.
// `good`/`bad` ("" = the first/last) pick the endpoints by name or version
// prefix; the list is cut to them. Throws KregError (one line) for a
// missing file, a name not in the list, good after bad, or fewer than two
// kernels in range. Only a Debian list talks to apt (apt-get update).
std::unique_ptr<KernelSequence> packaged_sequence(const std::vector<std::string>& specs, const std::string& good,
                                                  const std::string& bad, const std::string& cache_dir);

// The same list again, from bisect.json's "sequence" (for --resume).
std::unique_ptr<KernelSequence> packaged_sequence_from_json(const nlohmann::json& j, const std::string& cache_dir);

// Index of `selector` in `entries`: the exact name, else the one entry whose
// name starts with it at a version boundary ("6.1.0-5" is not "6.1.0-52").
// Throws KregError naming `what` (--good/--bad) and the list.
size_t select_entry(const std::vector<SequenceEntry>& entries, const std::string& selector, const std::string& what);

// Cuts `entries` to [good, bad] by selectors ("" = the ends), refusing
// good after bad and fewer than two kernels.
std::vector<SequenceEntry> cut_to_endpoints(const std::vector<SequenceEntry>& entries, const std::string& good,
                                            const std::string& bad);

}  // namespace kreg
