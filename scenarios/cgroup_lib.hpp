// Thin RAII and error helpers over libcgroup, in the spirit of kselftest's
// cgroup_util.c: each helper does one obvious thing and reports failures
// with the cgroup's name and libcgroup's own message.
#pragma once

#include <libcgroup.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace kreg {

// Calls cgroup_init() once per process. Throws std::runtime_error if libcgroup
// finds no cgroup mount (mount the hierarchy first).
void ensure_libcgroup_initialised();

// Mount point of a controller's hierarchy as libcgroup sees it (v1 or v2).
std::string controller_mount_point(const std::string& controller);

struct CgroupFree {
  void operator()(cgroup* cg) const { cgroup_free(&cg); }
};
using CgroupPtr = std::unique_ptr<cgroup, CgroupFree>;

// A cgroup `name` (relative to the hierarchy root, e.g. "kreg/memcg-12")
// with `controller` attached. Nothing is created in the kernel yet.
CgroupPtr make_cgroup(const std::string& name, const std::string& controller);

// mkdir (with parents) in the kernel.
void create_cgroup(cgroup* cg);
// Moves `pid` into the cgroup (writes it to the tasks/cgroup.procs file).
void attach_pid(cgroup* cg, pid_t pid);
// Moves the calling process into the cgroup.
void attach_self(cgroup* cg);
// rmdir; the cgroup must hold no task. A cgroup whose last task is still
// exiting answers EBUSY for a moment: retried with backoff for about a second,
// then reported. What happens to its charged pages is up to the kernel: that
// is what kreg measures.
void delete_cgroup(cgroup* cg);

// The hot-loop variants: one mkdir, one write to cgroup.procs. libcgroup's
// cgroup_create_cgroup costs ~40 us more per cgroup than mkdir (it walks and
// chowns the new control files) and cgroup_attach_task_pid ~25 us more than
// one write (measured on a 6.18 host, 500 cgroups each way); under TCG that
// halved the memcg generator's rate against the raw loop. Generators use
// these inside their per-object loop and libcgroup everywhere else. Both
// throw GeneratorError with the kernel's errno (ENOSPC at the ID limit).
void mkdir_cgroup_fast(const std::string& dir);
void write_pid_fast(const std::string& dir, pid_t pid);
// delete_cgroup's hot-loop variant: one rmdir of `dir`, EBUSY retried the
// same way (GeneratorError after about a second); ENOENT counts as removed;
// any other errno throws runtime_error naming the directory.
void rmdir_cgroup_fast(const std::string& dir);
// Their errors, for the same steps taken by another process (the memcg
// spawner) that reports only the errno.
class GeneratorError;
GeneratorError mkdir_error(const std::string& dir, int err);
GeneratorError attach_error(const std::string& dir, pid_t pid, int err);

// cgroup v2 only: writes "+memory" (etc.) into cgroup.subtree_control of the
// hierarchy root and of every cgroup down to and including `path`, so that
// children created under `path` get those controllers. Without it a child
// of a v2 cgroup is no memcg at all and its page cache is charged to an
// ancestor (libcgroup 2.0.2 does not do this on create). No-op on v1.
void enable_subtree_controllers(const std::string& mount, const std::string& path,
                                const std::vector<std::string>& controllers);

// The calling process's cgroup path for `controller` ("/" for the root), so
// a process that moved itself can go home again.
std::string current_cgroup_path(const std::string& controller);

}  // namespace kreg
