// pause-loop generator: what a container runtime does per pod sandbox, one
// pod at a time. Each pod: a memory+pids cgroup <root>/<parent>/pod-N, a
// "sandbox" process moved into it, which unshares net/mnt/pid/uts/ipc
// namespaces and forks the pause process (PID 1 of the new pid namespace).
// The pause process mounts its own /proc, reads and writes the sysctls
// runc/containerd touch in every new netns, sets its hostname, optionally
// writes page cache, and pauses. Teardown SIGKILLs it (which ends the pid
// namespace), reaps, and rmdirs the cgroup.
//
// It models the seed incident (003): kubelet re-creating pause containers
// whose CNI setup fails ("fail_fast"), or a node where pods come and go with
// K of them alive ("keep").
//
// Parameters (all optional):
//   keep              int >= 0, default 0: the newest K pods stay alive, older
//                     ones are torn down as new ones arrive (rolling window)
//   fail_fast         bool, default false: destroy each pod right after it is
//                     ready (the CNI-failure loop); requires keep == 0
//   sysctls           array of {"path": "net/core/somaxconn"} (open + read) or
//                     {"path": "...", "value": "0"} (open + write), relative to
//                     /proc/sys. Default: read net/ipv6/conf/all/disable_ipv6
//                     and net/core/somaxconn (the seed's lookups), write
//                     net/ipv4/ip_unprivileged_port_start=0 and
//                     net/ipv4/ping_group_range="0 2147483647" (containerd's
//                     default pod sysctls)
//   sysctl_proc       "pod" (default) or "host": do the sysctl I/O through the
//                     pod's own fresh /proc, or through the /proc inherited
//                     from the host before mounting it (what runc:[2:INIT]'s
//                     Go runtime and dockerd's "exe" did in the seed). Only
//                     "host" puts the per-netns dentries on the host's proc
//                     superblock, i.e. in the hash chains host readers walk.
//   page_cache_bytes  int >= 0, default 0: written by each pause process to a
//                     file under scratch_dir (charged to the pod memcg; the
//                     files stay until cleanup so removed memcgs stay dying)
//   parent            string, default "kubepods": cgroup parent under
//                     context.cgroup_root
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "scenarios/generator.hpp"

namespace kreg {

// Throws std::invalid_argument naming the bad parameter. Its prepare() throws
// std::runtime_error when the memory or pids hierarchy is missing or the
// parent cgroup cannot be made.
void check_pause_loop_params(const nlohmann::json& params);
std::unique_ptr<Generator> construct_pause_loop_generator(const nlohmann::json& params,
                                                          const GeneratorContext& context);

}  // namespace kreg
