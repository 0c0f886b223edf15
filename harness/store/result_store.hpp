// results/<run-id>/: created once per run; every job record is written
// atomically (temp file + rename), so a crash never leaves half a record and
// nothing already measured is lost when a later VM fails.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

class ResultStore {
 public:
  // Creates `results_root`/`run_id` (and jobs/, vm/). Throws KregError naming
  // the directory if it cannot be created or already holds a run.
  // With `resume`, opens an existing run instead (KregError if there is none).
  // Without `link_latest`, results_root/latest is left alone (shards of a
  // plan share a root and must never write the same file).
  ResultStore(const std::string& results_root, const std::string& run_id, bool resume = false, bool link_latest = true);

  const std::string& dir() const { return dir_; }
  const std::string& run_id() const { return run_id_; }
  std::string vm_dir(const std::string& vm_name) const;  // created on demand

  void write_job(const std::string& job_id, const nlohmann::json& record);
  // A record at a path relative to the run directory (e.g. jobs/<kernel>/x.json).
  void write_record(const std::string& relative_path, const nlohmann::json& record);
  bool has_record(const std::string& relative_path) const;
  void write_run(const nlohmann::json& run);  // run.json

 private:
  std::string dir_, run_id_;
};

// Throws KregError if `results_root`/`run_id` already holds a run: checked
// before any slow work so a typo never costs a kernel download.
void check_run_id_free(const std::string& results_root, const std::string& run_id);

// "YYYYmmdd-HHMMSS-<tag>" in UTC.
std::string make_run_id(const std::string& tag);

// Writes `text` to `path` atomically; throws KregError naming the path.
void write_file_atomically(const std::string& path, const std::string& text);

// Job ids contain '/', which file names cannot: "memcg-dying/v1/x" -> "memcg-dying__v1__x".
std::string job_file_name(const std::string& job_id);

}  // namespace kreg
