#include "harness/matrix/matrix_scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

namespace kreg {

int effective_parallel(const SchedulerLimits& limits, int vcpus) {
  if (limits.parallel > 0) return limits.parallel;
  return std::max(1, limits.host_cpus / std::max(1, vcpus));
}

void run_scheduled(std::vector<SchedulerTask>& tasks, const SchedulerLimits& limits, const std::atomic<bool>& stop,
                   const std::function<void(size_t)>& on_start) {
  struct Running {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
    const SchedulerTask* task;
  };
  std::vector<Running> running;
  int used_cpus = 0, used_memory = 0;
  size_t next = 0;
  auto reap = [&] {
    for (auto it = running.begin(); it != running.end();) {
      if (!it->finished->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      used_cpus -= it->task->vcpus;
      used_memory -= it->task->memory_mib;
      it = running.erase(it);
    }
  };
  while (next < tasks.size() || !running.empty()) {
    reap();
    while (next < tasks.size() && !stop.load()) {
      const SchedulerTask& t = tasks[next];
      int parallel = effective_parallel(limits, t.vcpus);
      bool fits = running.empty() || (static_cast<int>(running.size()) < parallel &&
                                      (limits.parallel > 0 || used_cpus + t.vcpus <= limits.host_cpus) &&
                                      used_memory + t.memory_mib <= limits.host_memory_mib);
      if (!fits) break;
      on_start(next);
      auto finished = std::make_shared<std::atomic<bool>>(false);
      used_cpus += t.vcpus;
      used_memory += t.memory_mib;
      running.push_back({std::thread([&t, finished] {
                           t.run();
                           finished->store(true);
                         }),
                         finished, &t});
      ++next;
    }
    if (stop.load() && running.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace kreg
