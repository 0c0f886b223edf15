// netns: the sysctl dcache pathology of container hosts. Each object is one
// network namespace in which, as runc does, a task opens and reads a few
// /proc/sys files. Every netns leaves its own dentry for each such file in
// the same dcache hash chain (same parent, same name hash); a lookup from
// init_net walks all of them, calling proc_sys_compare() on each.
// Before ~4.11 the dentries of a DEAD netns stayed cached too ("dead" mode);
// since then only LIVE netns keep them ("live" mode holds every netns open
// with a sleeping child until cleanup()).
//
// Parameters (JSON):
//   mode     "dead" | "live"          the netns dies at once, or a child holds
//                                     it until cleanup() (default "dead")
//   sysctls  array of paths relative  opened and read in each netns (default
//            to /proc/sys             ["net/ipv6/conf/all/disable_ipv6",
//                                     "net/core/somaxconn"]; [] = netns only)
//
// Live children die with the thread that created them (PR_SET_PDEATHSIG is
// per thread): call advance_to() from a thread that outlives them.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "scenarios/generator.hpp"

namespace kreg {

void check_netns_params(const nlohmann::json& params);
std::unique_ptr<Generator> construct_netns_generator(const nlohmann::json& params, const GeneratorContext& context);

}  // namespace kreg
