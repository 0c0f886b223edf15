#include "harness/matrix/run_owner.hpp"

#include <unistd.h>

#include <fstream>

#include "vm/common/error.hpp"

namespace kreg {

namespace {

// Every QEMU recorded in the units of `run` that still runs here, with the
// attempt directory its command line must name.
struct RecordedVm {
  ProcessIdentity process;
  std::string vm_dir;
};

std::vector<RecordedVm> recorded_vms(const nlohmann::json& run) {
  std::vector<RecordedVm> out;
  if (!run.contains("units") || !run["units"].is_array()) return out;
  for (const auto& u : run["units"]) {
    if (!u.is_object() || !u.contains("qemu")) continue;
    RecordedVm vm{process_from_json(u["qemu"]), u.value("vm_dir", "")};
    if (vm.process.pid > 0 && is_running(vm.process)) out.push_back(vm);
  }
  return out;
}

std::string pid_list(const std::vector<pid_t>& pids) {
  std::string text;
  for (pid_t p : pids) text += (text.empty() ? "" : ", ") + std::to_string(p);
  return text;
}

}  // namespace

nlohmann::json process_json(const ProcessIdentity& p) {
  return {{"pid", p.pid}, {"start_time", p.start_time}, {"boot_id", p.boot_id}};
}

ProcessIdentity process_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return {};
  return {j.value("pid", 0), j.value("start_time", uint64_t{0}), j.value("boot_id", "")};
}

nlohmann::json owner_json() {
  nlohmann::json owner = process_json(identify_process(getpid()).value_or(ProcessIdentity{getpid(), 0, ""}));
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  owner["host"] = host;
  return owner;
}

std::vector<pid_t> live_recorded_vms(const nlohmann::json& run) {
  std::vector<pid_t> pids;
  for (const auto& vm : recorded_vms(run)) pids.push_back(vm.process.pid);
  return pids;
}

ResultStore open_run_as_owner(const std::string& results_root, const std::string& run_id, bool link_latest) {
  try {
    return ResultStore(results_root, run_id, /*resume=*/true, link_latest);
  } catch (const RunInUse& busy) {
    nlohmann::json run = nlohmann::json::parse(std::ifstream(busy.run_dir() + "/run.json"), nullptr, false);
    std::vector<pid_t> vms = run.is_discarded() ? std::vector<pid_t>{} : live_recorded_vms(run);
    std::string owner = busy.owner() > 0 ? "kreg PID " + std::to_string(busy.owner()) : "another kreg";
    throw KregError("run " + busy.run_dir() + " is in use by " + owner +
                    (vms.empty() ? "" : " with QEMU PID" + std::string(vms.size() > 1 ? "s " : " ") + pid_list(vms)) +
                    "; wait for it to finish" +
                    (busy.owner() > 0 ? " or stop it (kill -INT " + std::to_string(busy.owner()) + ")" : ""));
  }
}

std::vector<pid_t> kill_leftover_vms(const nlohmann::json& run) {
  std::vector<pid_t> killed, stuck;
  for (const auto& vm : recorded_vms(run)) {
    std::string cmdline = process_cmdline(vm.process.pid);
    if (vm.vm_dir.empty() || cmdline.find("/" + vm.vm_dir + "/") == std::string::npos) continue;  // not ours
    (kill_and_wait(vm.process, 10) ? killed : stuck).push_back(vm.process.pid);
  }
  if (!stuck.empty())
    throw KregError("QEMU PID(s) " + pid_list(stuck) + " left by a dead kreg of this run do not die on SIGKILL; " +
                    "resume once they are gone");
  return killed;
}

}  // namespace kreg
