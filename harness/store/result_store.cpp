#include "harness/store/result_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "vm/common/error.hpp"

namespace kreg {

namespace fs = std::filesystem;

std::string make_run_id(const std::string& tag) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  return std::string(stamp) + "-" + tag;
}

std::string job_file_name(const std::string& job_id) {
  std::string name;
  for (char c : job_id) name += (c == '/') ? std::string("__") : std::string(1, c);
  return name + ".json";
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StoreWriteError("cannot write " + tmp + ": " + std::strerror(errno));
  auto fail = [&](int error, const std::string& what) {
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());  // a full disk gets its space back
    throw StoreWriteError("cannot " + what + ": " + std::strerror(error));
  };
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(errno, "write " + tmp);
    p += n;
    left -= static_cast<size_t>(n);
  }
  // A network or full filesystem may report a lost write only here.
  if (fsync(fd) != 0 && errno != EINVAL) fail(errno, "write " + tmp);
  int rc = close(fd);
  fd = -1;
  if (rc != 0) fail(errno, "write " + tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) fail(errno, "rename " + tmp + " to " + path);
}

void check_run_id_free(const std::string& results_root, const std::string& run_id) {
  std::string dir = results_root + "/" + run_id;
  if (fs::exists(dir + "/run.json"))
    throw KregError("results directory " + dir + " already holds a run (choose another --run-id)");
}

ResultStore::ResultStore(const std::string& results_root, const std::string& run_id, bool resume, bool link_latest)
    : dir_(results_root + "/" + run_id), run_id_(run_id) {
  std::error_code ec;
  if (resume && !fs::exists(dir_ + "/run.json"))
    throw KregError("no run " + run_id + " to resume in " + results_root + " (see ls " + results_root + ")");
  if (!resume) check_run_id_free(results_root, run_id);
  fs::create_directories(dir_ + "/jobs", ec);
  if (ec)
    throw KregError("cannot create results directory " + dir_ + ": " + ec.message() + " (choose a writable --results)");
  // Before anything in the run is touched: one kreg at a time.
  lock_ = RunLock(dir_);
  // results/latest -> the newest run, so README's commands need no run id.
  if (!link_latest) return;
  std::string latest = results_root + "/latest";
  fs::remove(latest, ec);
  fs::create_directory_symlink(run_id, latest, ec);
}

VmAttempt ResultStore::new_vm_attempt(const std::string& vm_name) const {
  const std::string unit_dir = dir_ + "/vm/" + vm_name;
  std::error_code ec;
  fs::create_directories(unit_dir, ec);
  if (ec) throw StoreWriteError("cannot create " + unit_dir + ": " + ec.message());
  int highest = 0;
  for (const auto& e : fs::directory_iterator(unit_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("attempt-", 0) == 0) highest = std::max(highest, std::atoi(name.c_str() + 8));
  }
  for (int n = highest + 1;; ++n) {
    VmAttempt a{n, "vm/" + vm_name + "/attempt-" + std::to_string(n), ""};
    a.path = dir_ + "/" + a.relative;
    if (mkdir(a.path.c_str(), 0755) == 0) return a;
    if (errno != EEXIST) throw StoreWriteError("cannot create " + a.path + ": " + std::strerror(errno));
  }
}

void ResultStore::write_job(const std::string& job_id, const nlohmann::json& record) {
  write_file_atomically(dir_ + "/jobs/" + job_file_name(job_id), record.dump(2) + "\n");
}

void ResultStore::write_record(const std::string& relative_path, const nlohmann::json& record) {
  std::string path = dir_ + "/" + relative_path;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) throw StoreWriteError("cannot create " + fs::path(path).parent_path().string() + ": " + ec.message());
  write_file_atomically(path, record.dump(2) + "\n");
}

bool ResultStore::has_record(const std::string& relative_path) const { return fs::exists(dir_ + "/" + relative_path); }

void ResultStore::write_run(const nlohmann::json& run) {
  write_file_atomically(dir_ + "/run.json", run.dump(2) + "\n");
}

}  // namespace kreg
