#include "harness/cli/run_environment.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness/matrix/matrix.hpp"
#include "harness/matrix/matrix_executor.hpp"
#include "harness/matrix/plan_file.hpp"
#include "harness/matrix/run_owner.hpp"
#include "harness/matrix/vm_sizing.hpp"
#include "harness/matrix/vm_unit_runner.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"
#include "harness/term/progress.hpp"
#include "vm/boot/accelerator.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

std::string qemu_version(const std::string& qemu) {
  CapturedRun v = run_captured({qemu, "--version"});
  return v.out.substr(0, v.out.find('\n'));
}

}  // namespace

std::string check_vm_tools(const RunOptions& options) {
  std::string qemu = find_qemu(options.qemu);
  locate_guest_binaries();
  return qemu;
}

UnitEnvironment make_environment(const RunOptions& options, const Suite& suite, const std::string& run_id,
                                 ResultStore* store) {
  UnitEnvironment env;
  env.qemu = check_vm_tools(options);
  env.qemu_version = qemu_version(env.qemu);
  env.guest = locate_guest_binaries();
  env.accel = choose_accelerator(options.accel, env.qemu);
  env.vm = suite.vm;
  env.run_id = run_id;
  env.store = store;
  env.stop = &stop_requested();
  // Beside the runs it learnt from, not in the shared cache: a fresh results
  // directory (every test's) starts in plan order, so no run's order depends
  // on what an unrelated earlier run took.
  if (store) env.unit_times_path = (fs::path(store->dir()).parent_path() / "unit-times.json").string();
  return env;
}

nlohmann::json machine_json(const UnitEnvironment& env, const Suite& suite) {
  return {{"accelerator", to_string(env.accel.accelerator)},
          {"accelerator_reason", env.accel.reason},
          {"vcpus", suite.vm.vcpus},
          {"qemu", env.qemu_version},
          {"host_cpus", std::thread::hardware_concurrency()},
          {"host_memory_limit_mib", host_memory_limit_mib()}};
}

void kill_leftovers(const nlohmann::json& run) {
  std::vector<pid_t> killed = kill_leftover_vms(run);
  if (killed.empty()) return;
  std::string pids;
  for (pid_t p : killed) pids += (pids.empty() ? "" : ", ") + std::to_string(p);
  Progress().note("kreg: killed " + std::to_string(killed.size()) +
                  " QEMU left running by a dead kreg of this run (PID " + pids + ")");
}

}  // namespace kreg
