// The contract every scenario generator keeps, so that one sweep runner can
// drive any of them, in the guest (PID 1) or on the host (--local):
// raise the object count to a target, say what the kernel now holds, and
// clean up whatever can be cleaned up.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace kreg {

// A kernel refusal worth recording as a result (ENOSPC from mkdir at the
// 65,535 memcg-ID limit, ENOMEM from unshare, ...), not a crash.
class GeneratorError : public std::runtime_error {
 public:
  GeneratorError(const std::string& operation, int err, const std::string& message)
      : std::runtime_error(message), operation_(operation), errno_(err) {}
  const std::string& operation() const { return operation_; }
  int error_number() const { return errno_; }

 private:
  std::string operation_;
  int errno_;
};

// The kernel or host lacks what the generator needs (e.g. the memory
// controller is on the other cgroup hierarchy): the job is skipped with this
// reason, never failed: a missing feature is a finding about the kernel.
class GeneratorUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a generator may create things. Everything it creates in cgroupfs lives
// under <hierarchy>/<cgroup_root>/, every file under scratch_dir, so --local
// can remove exactly what it made and nothing else.
struct GeneratorContext {
  std::string cgroup_root = "kreg";       // "kreg-local-<pid>" with --local
  std::string scratch_dir = "/tmp/kreg";  // on tmpfs in the guest
  std::string disk_dir;                   // an ext4 scratch disk's mount point, "" if none
  std::string cgroup_mode = "v1";         // the hierarchy the memory controller was put on
  bool local = false;                     // running on the host kernel
  // memcg-churn's fork-way parent (memcg_spawner.hpp); --local: beside kreg
  std::string memcg_spawner = "/kreg/bin/kreg-memcg-spawner";
};

// A path a sweep times at every point. `op` is what one sample does:
// "read" = open, read to EOF, close (a monitoring agent reading a stat file);
// "open" = open + close (the path walk, where __d_lookup's chains show);
// "stat" = stat() (the path walk without a file object);
// "lookup" = stat() of a name that does not exist (a negative dentry);
// "noop" = nothing: the timer's own overhead.
struct StatRead {
  std::string metric;
  std::string path;
  std::string op = "read";
};

using TickFn = std::function<void(int64_t created)>;

// A generator's constructor only records its parameters; prepare() makes
// what it needs (cgroups, directories). make_generator() calls cleanup() when
// prepare() throws, so a failed start leaves nothing half-made behind.
class Generator {
 public:
  virtual ~Generator() = default;

  // Creates what every object needs (the parent cgroup, the scratch
  // directory). May throw GeneratorUnavailable or std::runtime_error; cleanup()
  // must then remove whatever part of it was made.
  virtual void prepare() {}

  // "memcgs", "netns", "pods", "negative dentries": what created() counts.
  virtual std::string object_name() const = 0;

  // Creates objects until created() == target (targets only grow). Calls
  // `tick` now and then so long runs can show progress. Throws
  // GeneratorError on a kernel refusal; what was created stays counted.
  virtual void advance_to(int64_t target, const TickFn& tick) = 0;
  virtual int64_t created() const = 0;

  // Object counts read back from the kernel, e.g. {"memcg_dying": 1998,
  // "memcg_dying_source": "proc_cgroups"}. Never what the generator believes.
  virtual nlohmann::json measure() const = 0;

  // Asks the kernel to reclaim what the objects hold, by each method the
  // kernel offers, timing each and measuring the objects left after it
  // (e.g. dying memcgs after memory.force_empty). null: not applicable.
  virtual nlohmann::json reclaim() { return nullptr; }

  // Kernel functions whose per-call time explains the stat reads' latency
  // (traced with function_graph when a job asks for kernel_trace).
  virtual std::vector<std::string> traced_functions() const { return {}; }

  // The stat files whose read latency matters for this scenario.
  virtual std::vector<StatRead> stat_reads() const { return {}; }

  // Removes every removable object it made: processes killed and reaped,
  // cgroups rmdir'd (dying memcgs stay dying: that is the kernel's doing),
  // files unlinked. Safe to call twice and from a SIGINT path.
  virtual void cleanup() noexcept = 0;
};

// Names of all generators, for help texts and errors (scenarios/generator_table.hpp).
std::vector<std::string> generator_names();

// Builds a generator from its parameters (documented per generator) and
// prepares it. Throws std::invalid_argument naming the bad parameter and the
// valid range; a failed prepare() is cleaned up before the exception leaves.
std::unique_ptr<Generator> make_generator(const std::string& name, const nlohmann::json& params,
                                          const GeneratorContext& context);

// Parameter helpers that fail with a clear message ("netns: 'keep' must be an
// integer >= 0, got -3"). Missing keys give the default.
int64_t int_param(const nlohmann::json& params, const std::string& generator, const std::string& key,
                  int64_t default_value, int64_t min_value, int64_t max_value);
std::string choice_param(const nlohmann::json& params, const std::string& generator, const std::string& key,
                         const std::string& default_value, const std::vector<std::string>& choices);
std::string string_param(const nlohmann::json& params, const std::string& generator, const std::string& key,
                         const std::string& default_value);

}  // namespace kreg
