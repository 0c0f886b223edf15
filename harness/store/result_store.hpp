// results/<run-id>/: created once per run; every job record is written
// atomically (temp file + rename), so a crash never leaves half a record and
// nothing already measured is lost when a later VM fails. A store owns its
// run: it holds the run's lock (run_lock.hpp) for as long as it lives.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/store/run_lock.hpp"
#include "vm/common/error.hpp"

namespace kreg {

// A write into the results directory failed (full, read-only, gone): the
// run cannot record anything more, so the matrix stops instead of measuring
// into the void.
class StoreWriteError : public KregError {
 public:
  using KregError::KregError;
};

// One VM attempt of a unit: vm/<kernel>/<job>/attempt-<n>/, never shared.
struct VmAttempt {
  int number = 0;
  std::string relative;  // "vm/<kernel>/<job>/attempt-<n>"
  std::string path;      // absolute or as given by the results root
};

class ResultStore {
 public:
  // Creates `results_root`/`run_id` (and jobs/, vm/). Throws KregError naming
  // the directory if it cannot be created or already holds a run.
  // With `resume`, opens an existing run instead (KregError if there is none).
  // Either way it then takes the run's lock: RunInUse if another kreg has it.
  // Without `link_latest`, results_root/latest is left alone (shards of a
  // plan share a root and must never write the same file).
  ResultStore(const std::string& results_root, const std::string& run_id, bool resume = false, bool link_latest = true);

  const std::string& dir() const { return dir_; }
  const std::string& run_id() const { return run_id_; }
  // A new attempt directory for a unit's VM: one past the highest existing
  // attempt-<n>, created exclusively, so no two VMs ever share a stream.
  VmAttempt new_vm_attempt(const std::string& vm_name) const;

  void write_job(const std::string& job_id, const nlohmann::json& record);
  // A record at a path relative to the run directory (e.g. jobs/<kernel>/x.json).
  void write_record(const std::string& relative_path, const nlohmann::json& record);
  bool has_record(const std::string& relative_path) const;
  void write_run(const nlohmann::json& run);  // run.json

 private:
  std::string dir_, run_id_;
  RunLock lock_;
};

// Throws KregError if `results_root`/`run_id` already holds a run: checked
// before any slow work so a typo never costs a kernel download.
void check_run_id_free(const std::string& results_root, const std::string& run_id);

// "YYYYmmdd-HHMMSS-<tag>" in UTC.
std::string make_run_id(const std::string& tag);

// Writes `text` to `path` atomically; throws StoreWriteError naming the path
// and leaves neither the temporary file nor a half-written `path` behind.
void write_file_atomically(const std::string& path, const std::string& text);

// Job ids contain '/', which file names cannot: "memcg-dying/v1/x" -> "memcg-dying__v1__x".
std::string job_file_name(const std::string& job_id);

}  // namespace kreg
