// "dentry-negative": the dentry cache leak of hosts whose workloads look up
// or create-and-delete many distinct names (package managers, build caches,
// sidecars probing for config files). Every failed lookup and every unlink
// leaves a negative dentry that the kernel keeps until memory pressure, so
// /proc/sys/fs/dentry-state nr_dentry and nr_negative grow without bound and
// the dentry hash chains lengthen.
//
// Params:
//   "mode": "lookup"        stat() of a distinct nonexistent name (default)
//           "create-unlink" open(O_CREAT) + close + unlink of a distinct name
//           "both"          alternates the two, object by object
//   "dir":  where the names live. Default <scratch_dir>/dentry-negative; a
//           relative path is taken inside scratch_dir (no ".."), an absolute
//           one as given. Created if missing. Rejected when it exists and is
//           not a directory, and when it is on tmpfs/ramfs: their d_delete
//           drops every negative dentry at once, so nothing would pile up.
//
// One object = one distinct name "n" + 10 decimal digits (n0000000123),
// counting from n0000000000 in every generator: two generators sharing a
// dir reuse each other's dentries, so give each run its own dir.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/generator.hpp"

namespace kreg {

void check_dentry_negative_params(const nlohmann::json& params);
std::unique_ptr<Generator> construct_dentry_negative_generator(const nlohmann::json& params,
                                                               const GeneratorContext& context);

// Median ns of one fstatat() on each of `samples` distinct names this
// generator already used in `dir` (n0000000000 .. n<samples-1>): a re-lookup
// of existing negative dentries, i.e. a walk of the hash chain that ends in
// a cached miss. Only the last component is looked up (relative to an open
// dir fd). Call it after advance_to(>= samples). If memory pressure evicted
// some of those dentries, those samples include a real filesystem lookup:
// that is what a workload would see too. Throws std::invalid_argument for
// samples < 1 and std::runtime_error if `dir` cannot be opened or a name
// exists.
double time_negative_lookup_ns(const std::string& dir, int samples);

}  // namespace kreg
