#include "scenarios/memcg_generator.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "scenarios/cgroup_lib.hpp"
#include "scenarios/generator_table.hpp"
#include "scenarios/kernel_files.hpp"
#include "scenarios/memcg_counts.hpp"
#include "scenarios/memcg_payload.hpp"
#include "scenarios/memcg_reclaim.hpp"
#include "scenarios/memcg_spawner.hpp"

namespace kreg {

namespace {

namespace fs = std::filesystem;
constexpr const char* kName = "memcg-churn";

[[noreturn]] void sys_fail(const std::string& op, const std::string& what) {
  int err = errno;
  throw GeneratorError(op, err, what + ": " + std::strerror(err));
}

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}

// The parameters, parsed without touching the system: the host checks a
// job with this before it boots anything.
struct MemcgParams {
  bool fast = false;
  size_t bytes = 4096;
  std::string where, prefix, parent;
  int kobjects = 0, workers = 1;
};

MemcgParams parse_params(const nlohmann::json& p) {
  MemcgParams m;
  m.fast = choice_param(p, kName, "way", "fork", {"fork", "fast"}) == "fast";
  m.bytes = static_cast<size_t>(int_param(p, kName, "page_cache_bytes", 4096, 0, int64_t{1} << 30));
  m.where = choice_param(p, kName, "page_cache", "tmpfs", {"tmpfs", "ext4", "none"});
  if (m.where == "none") m.bytes = 0;
  m.prefix = string_param(p, kName, "name_prefix", "memcg-");
  m.kobjects = static_cast<int>(int_param(p, kName, "kobjects", 0, 0, 100000));
  m.workers = static_cast<int>(int_param(p, kName, "workers", 1, 1, 64));
  m.parent = string_param(p, kName, "parent", "memcg-churn");
  if (m.parent.front() == '/' || m.parent.find("..") != std::string::npos)
    throw std::invalid_argument(std::string(kName) + ": 'parent' must be a relative cgroup path without '..', got " +
                                m.parent);
  return m;
}

class MemcgGenerator : public Generator {
 public:
  MemcgGenerator(const MemcgParams& m, const GeneratorContext& ctx)
      : mode_(ctx.cgroup_mode),
        dir_((m.where == "ext4" ? ctx.disk_dir : ctx.scratch_dir) + "/memcg-pagecache"),
        prefix_(m.prefix),
        root_(ctx.cgroup_root),
        spawner_path_(ctx.memcg_spawner),
        parent_(ctx.cgroup_root + "/" + m.parent),
        bytes_(m.bytes),
        kobjects_(m.kobjects),
        workers_(m.workers),
        fast_(m.fast),
        needs_disk_(m.where == "ext4" && ctx.disk_dir.empty()) {}

  void prepare() override {
    if (needs_disk_)
      throw std::invalid_argument(std::string(kName) +
                                  ": 'page_cache' ext4 needs the scratch disk, and none is mounted");
    mount_ = controller_mount_point("memory");
    bool on_v2 = fs::exists(mount_ + "/cgroup.controllers");
    if (on_v2 != (mode_ == "v2"))
      throw GeneratorUnavailable(std::string(kName) + ": cgroup_mode " + mode_ +
                                 " asked, but the memory controller is on a " + (on_v2 ? "v2" : "v1") +
                                 " hierarchy at " + mount_);
    prepared_ = true;  // from here on cleanup() removes the parent chain
    create_cgroup(make_cgroup(parent_, "memory").get());
    enable_subtree_controllers(mount_, parent_, {"memory"});
    if (fast_) {
      original_ = current_cgroup_path("memory");
      // A leaf of our own to wait in between cgroups (v2 forbids tasks in
      // a parent whose children have controllers).
      home_ = make_cgroup(root_ + "/kreg-home", "memory");
      create_cgroup(home_.get());
      home_dir_ = mount_ + "/" + root_ + "/kreg-home";
    } else {
      // Started here, not per advance: the raw floor's own exec is not
      // timed either. Parallel workers start their own (advance_parallel).
      spawner_.start(spawner_path_, spawner_setup());
    }
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
      throw std::runtime_error(std::string(kName) + ": the page-cache directory " + dir_ +
                               " cannot be created: " + ec.message());
  }

  ~MemcgGenerator() override { cleanup(); }

  std::string object_name() const override { return "memcgs"; }
  int64_t created() const override { return created_; }

  void advance_to(int64_t target, const TickFn& tick) override {
    if (workers_ > 1 && target - created_ >= workers_) return advance_parallel(target, tick);
    while (created_ < target) {
      churn_range(created_ + 1, std::min(target - created_, 256 - created_ % 256), created_);
      if (tick && created_ % 256 == 0) tick(created_);
    }
  }

  nlohmann::json measure() const override {
    MemcgCounts c = count_memcgs(mount_);
    nlohmann::json m = {{"memcg_num_cgroups", c.num_cgroups},
                        {"memcg_visible", c.visible},
                        {"memcg_dying", c.dying},
                        {"memcg_dying_source", c.dying_source}};
    std::string stat = mount_ + "/" + parent_ + "/cgroup.stat";
    if (fs::exists(stat)) {
      auto keys = parse_flat_keyed(read_text_file(stat));
      if (keys.count("nr_dying_descendants")) m["parent_nr_dying_descendants"] = keys["nr_dying_descendants"];
    }
    return m;
  }

  std::vector<std::string> traced_functions() const override {
    return {"memory_stat_show", "memcg_numa_stat_show", "memcg_stat_show"};
  }

  std::vector<StatRead> stat_reads() const override {
    return resolve_stat_paths(generator_info(kName).stat_paths, {mount_, mount_ + "/" + parent_, dir_, mode_});
  }

  nlohmann::json reclaim() override { return reclaim_memcg_parent(mount_, mount_ + "/" + parent_, mode_); }

  void cleanup() noexcept override {
    if (cleaned_ || !prepared_) return;
    cleaned_ = true;
    spawner_.stop();
    try {
      if (fast_ && !original_.empty()) attach_self(make_cgroup(original_, "memory").get());
      if (home_) delete_cgroup(home_.get());
    } catch (const std::exception&) {
    }
    // Parents of dying memcgs can be removed; deleting the page cache is
    // what lets the kernel finally free the dying memcgs themselves.
    std::error_code ec;
    fs::remove_all(dir_, ec);
    // The run owns cgroup_root itself and removes it last.
    for (std::string path = parent_; path.size() > root_.size(); path = path.substr(0, path.rfind('/')))
      rmdir((mount_ + "/" + path).c_str());
  }

 private:
  SpawnerSetup spawner_setup() const { return {mount_ + "/" + parent_, prefix_, dir_, bytes_, kobjects_}; }

  // Memcgs first .. first+count-1; `made` counts each one finished, also
  // when a later one throws.
  void churn_range(int64_t first, int64_t count, int64_t& made) {
    if (!fast_) return run_children(first, count, made);
    for (int64_t n = first; n < first + count; ++n, ++made) churn_one_fast(n);
  }

  // The fast way: this process moves itself in, writes, moves back.
  void churn_one_fast(int64_t n) {
    std::string name = parent_ + "/" + prefix_ + std::to_string(n);
    std::string file = dir_ + "/" + std::to_string(n);
    std::string kdir = file + ".d";
    // mkdir and cgroup.procs writes directly (see cgroup_lib.hpp: libcgroup
    // costs here); libcgroup removes the cgroup.
    const std::string dir = mount_ + "/" + name;
    CgroupPtr cg = make_cgroup(name, "memory");
    mkdir_cgroup_fast(dir);
    write_pid_fast(dir, getpid());
    int err = memcg_payload(file.c_str(), bytes_, kdir.c_str(), kobjects_);
    write_pid_fast(home_dir_, getpid());
    if (err != 0) {
      errno = err;
      sys_fail("write", "page cache for " + name + " at " + file);
    }
    delete_cgroup(cg.get());
  }

  // The runtime's way: per memcg a parent forks a child, moves it in, lets it
  // run. The parent is the spawner (memcg_spawner.hpp: forking this process
  // is slow); its failures become the errors this process used to throw.
  void run_children(int64_t first, int64_t count, int64_t& made) {
    if (!spawner_.running()) spawner_.start(spawner_path_, spawner_setup());
    SpawnReply r = spawner_.churn(first, count);
    made += r.made;
    if (r.stage == kSpawnDone) return;
    const int64_t n = first + r.made;
    const std::string name = parent_ + "/" + prefix_ + std::to_string(n), dir = mount_ + "/" + name;
    const std::string file = dir_ + "/" + std::to_string(n);
    errno = r.err;
    switch (r.stage) {
      case kSpawnMkdir:
        throw mkdir_error(dir, r.err);
      case kSpawnPipe:
        sys_fail("pipe", "pipe");
      case kSpawnFork:
        sys_fail("fork", "fork for " + name);
      case kSpawnAttach:
        throw attach_error(dir, r.pid, r.err);
      case kSpawnChild:
        throw GeneratorError(
            "write", WIFEXITED(r.status) ? WEXITSTATUS(r.status) : EINTR,
            "task in " + name + " failed writing " + file + " (status " + std::to_string(r.status) + ")");
      case kSpawnRmdir:  // worded as delete_cgroup words it
        throw GeneratorError(
            "rmdir", r.err,
            "cannot delete cgroup '" + name +
                "': " + (r.err == EBUSY ? "still busy after retrying for about a second" : std::strerror(r.err)));
      default:
        throw GeneratorError(
            "spawner", r.err,
            "memcg-churn: the spawner " + spawner_path_ + " refused a request: " + std::strerror(r.err));
    }
  }

  // Worker processes split the remaining objects; each reports how many it made.
  void advance_parallel(int64_t target, const TickFn& tick) {
    int64_t todo = target - created_;
    std::vector<std::pair<pid_t, int>> workers;
    for (int w = 0; w < workers_; ++w) {
      int64_t first = created_ + 1 + todo * w / workers_, last = created_ + todo * (w + 1) / workers_;
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0) sys_fail("pipe", "pipe");
      pid_t pid = fork();
      if (pid < 0) sys_fail("fork", "fork worker");
      if (pid == 0) {
        close(fds[0]);
        spawner_.forget();  // the parent's; this worker starts its own
        int64_t made = 0;
        int err = 0;
        try {
          churn_range(first, last - first + 1, made);
        } catch (const GeneratorError& e) {
          err = e.error_number();
        } catch (...) {
          err = EIO;
        }
        spawner_.stop();
        int64_t report[2] = {made, err};
        (void)!write(fds[1], report, sizeof report);
        _exit(0);
      }
      close(fds[1]);
      workers.push_back({pid, fds[0]});
    }
    int first_error = 0;
    for (auto [pid, fd] : workers) {
      int64_t report[2] = {0, EIO};
      if (read(fd, report, sizeof report) != sizeof report) report[1] = EIO;
      close(fd);
      wait_status(pid);
      created_ += report[0];
      if (report[1] != 0 && first_error == 0) first_error = static_cast<int>(report[1]);
    }
    if (tick) tick(created_);
    if (first_error != 0)
      throw GeneratorError("churn", first_error,
                           std::string("a memcg-churn worker stopped: ") + std::strerror(first_error));
  }

  std::string mode_, dir_, prefix_, root_, spawner_path_, parent_, mount_, original_, home_dir_;
  size_t bytes_ = 0;
  int kobjects_ = 0, workers_ = 1;
  bool fast_ = false, cleaned_ = false;
  bool needs_disk_ = false, prepared_ = false;
  CgroupPtr home_;
  MemcgSpawner spawner_;
  int64_t created_ = 0;
};

}  // namespace

void check_memcg_params(const nlohmann::json& params) { parse_params(params); }

std::unique_ptr<Generator> construct_memcg_generator(const nlohmann::json& params, const GeneratorContext& context) {
  return std::make_unique<MemcgGenerator>(parse_params(params), context);
}

}  // namespace kreg
