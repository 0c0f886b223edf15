// Runs matrix units side by side: at most `parallel` VMs, never more guest
// vCPUs than host CPUs (under TCG each vCPU is a busy host thread, and an
// oversubscribed host turns latency figures into scheduler noise), never
// more guest memory than the host can give. Stops launching when asked
// (Ctrl-C) and lets the running VMs be stopped by their own stop flag.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

namespace kreg {

struct SchedulerLimits {
  int parallel = 0;  // 0 = derived from CPUs and memory
  int host_cpus = 1;
  int host_memory_mib = 1024;
};

struct SchedulerTask {
  int vcpus = 1;
  int memory_mib = 512;
  std::function<void()> run;  // must not throw
};

// Effective parallelism for tasks of `vcpus` each (>= 1).
int effective_parallel(const SchedulerLimits& limits, int vcpus);

// Runs every task not skipped by `stop`, in order, on worker threads; returns
// when all started tasks have finished. `on_start(i)` runs on the calling
// thread just before task i starts.
void run_scheduled(std::vector<SchedulerTask>& tasks, const SchedulerLimits& limits, const std::atomic<bool>& stop,
                   const std::function<void(size_t)>& on_start);

}  // namespace kreg
