#include "scenarios/dentry_negative_generator.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "scenarios/generator_table.hpp"
#include "scenarios/kernel_counters.hpp"

namespace kreg {

namespace {

const std::string kGen = "dentry-negative";
constexpr int64_t kMaxNames = 10'000'000'000;  // what "n" + 10 digits can name
constexpr int64_t kTickEvery = 100'000;
constexpr char kNameTemplate[] = "n0000000000";

// "00".."99": two digits per division keeps the per-name cost at five
// multiply-shifts, invisible next to the syscall it feeds.
constexpr auto kPairs = [] {
  std::array<char, 200> p{};
  for (int i = 0; i < 100; ++i)
    p[2 * i] = static_cast<char>('0' + i / 10), p[2 * i + 1] = static_cast<char>('0' + i % 10);
  return p;
}();

// Writes `index` as exactly 10 digits at `digits` (no NUL, no allocation).
inline void write_index(char* digits, uint64_t index) {
  for (int i = 8; i >= 0; i -= 2) {
    std::memcpy(digits + i, &kPairs[2 * (index % 100)], 2);
    index /= 100;
  }
}

bool is_name(const char* s) {  // n + 10 digits: the only files we ever create
  if (std::strlen(s) != 11 || s[0] != 'n') return false;
  return std::all_of(s + 1, s + 11, [](char c) { return c >= '0' && c <= '9'; });
}

enum class Mode { kLookup, kCreateUnlink, kBoth };

class DentryNegativeGenerator final : public Generator {
 public:
  DentryNegativeGenerator(Mode mode, std::string dir, std::vector<std::string> made_dirs, int dir_fd)
      : mode_(mode), dir_(std::move(dir)), made_dirs_(std::move(made_dirs)), dir_fd_(dir_fd) {}
  ~DentryNegativeGenerator() override { cleanup(); }

  std::string object_name() const override { return "negative dentries"; }
  int64_t created() const override { return created_; }

  void advance_to(int64_t target, const TickFn& tick) override {
    if (dir_fd_ < 0) throw std::logic_error(kGen + ": advance_to after cleanup");
    if (target > kMaxNames)
      throw std::invalid_argument(kGen + ": target must be <= " + std::to_string(kMaxNames) + ", got " +
                                  std::to_string(target));
    char name[sizeof kNameTemplate];
    std::memcpy(name, kNameTemplate, sizeof name);
    while (created_ < target) {
      // Chunks end on multiples of kTickEvery so the hot loop holds no tick test.
      const int64_t stop = std::min(target, (created_ / kTickEvery + 1) * kTickEvery);
      for (; created_ < stop; ++created_) {
        write_index(name + 1, static_cast<uint64_t>(created_));
        if (mode_ == Mode::kLookup || (mode_ == Mode::kBoth && (created_ & 1) == 0)) {
          lookup_miss(name);
        } else {
          create_unlink(name);
        }
      }
      if (tick) tick(created_);
    }
  }

  nlohmann::json measure() const override {
    const nlohmann::json c = read_kernel_counters();
    nlohmann::json m = nlohmann::json::object();
    for (const char* key : {"dentry_nr_dentry", "dentry_nr_unused", "dentry_nr_negative", "slab_dentry_active_objs"})
      if (c.contains(key)) m[key] = c[key];
    m["negative_names_created"] = created_;
    return m;
  }

  // Lookups in the flooded directory: a name made negative by this generator
  // (the cached negative dentry, found in its hash chain) and a name never
  // used (the first sample misses the dcache; the rest hit its new negative
  // dentry). The generator's names start at n0000000000.
  std::vector<std::string> traced_functions() const override { return {"__d_lookup", "__d_lookup_rcu"}; }

  std::vector<StatRead> stat_reads() const override {
    return resolve_stat_paths(generator_info(kGen).stat_paths, {"", "", dir_, ""});
  }

  // Unlinks any file a create-unlink step left behind (only an interrupted
  // step can) and removes the directories we created if they are empty.
  // Negative dentries have no file to unlink: nothing here can free them one
  // by one; the kernel drops them under memory pressure (or drop_caches),
  // which is the pathology. One exception, by the kernel's doing: rmdir of
  // our own dir prunes its unused children (shrink_dcache_parent), so they
  // go with it; in a dir we did not create they stay.
  void cleanup() noexcept override {
    if (dir_fd_ < 0) return;
    if (mode_ != Mode::kLookup) {
      int fd = dup(dir_fd_);
      if (DIR* d = fd >= 0 ? fdopendir(fd) : nullptr) {
        while (const dirent* e = readdir(d))
          if (is_name(e->d_name)) unlinkat(dir_fd_, e->d_name, 0);
        closedir(d);
      } else if (fd >= 0) {
        close(fd);
      }
    }
    close(dir_fd_);
    dir_fd_ = -1;
    for (auto it = made_dirs_.rbegin(); it != made_dirs_.rend(); ++it)
      if (rmdir(it->c_str()) != 0) break;  // not empty: someone else's files, keep the rest too
    made_dirs_.clear();
  }

 private:
  [[noreturn]] void fail(const char* op, const char* name) const {
    const int err = errno;
    throw GeneratorError(op, err, kGen + ": " + op + " " + dir_ + "/" + name + ": " + std::strerror(err));
  }

  void lookup_miss(const char* name) const {
    struct stat st;
    if (fstatat(dir_fd_, name, &st, 0) == 0)
      throw std::runtime_error(kGen + ": " + dir_ + "/" + name + " exists, so its lookup cannot miss");
    if (errno != ENOENT) fail("stat", name);
  }

  void create_unlink(const char* name) const {
    // O_EXCL: an existing name means a reused directory, not a fresh dentry.
    const int fd = openat(dir_fd_, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail("open", name);
    close(fd);
    if (unlinkat(dir_fd_, name, 0) != 0) fail("unlink", name);
  }

  Mode mode_;
  std::string dir_;
  std::vector<std::string> made_dirs_;  // outermost first
  int dir_fd_;
  int64_t created_ = 0;
};

}  // namespace

namespace {

std::invalid_argument bad_dir(const std::string& dir, const std::string& why) {
  return std::invalid_argument(kGen + ": 'dir' " + why + ", got \"" + dir + "\"");
}

// The parameters alone, touching nothing: (mode, dir as given).
std::pair<Mode, std::string> parse_params(const nlohmann::json& params) {
  const std::string mode_s = choice_param(params, kGen, "mode", "lookup", {"lookup", "create-unlink", "both"});
  const Mode mode = mode_s == "lookup" ? Mode::kLookup : mode_s == "create-unlink" ? Mode::kCreateUnlink : Mode::kBoth;
  std::string dir = string_param(params, kGen, "dir", "dentry-negative");
  if (dir.front() != '/')
    for (size_t pos = 0; pos != std::string::npos;) {
      const size_t next = dir.find('/', pos);
      if (dir.compare(pos, next - pos, "..") == 0)  // compare clamps npos to the end
        throw bad_dir(dir, "must stay inside the scratch directory (no '..')");
      pos = next == std::string::npos ? next : next + 1;
    }
  return {mode, dir};
}

}  // namespace

void check_dentry_negative_params(const nlohmann::json& params) { parse_params(params); }

// The directory is made and checked here, not in a prepare(): what this
// makes, it undoes itself before it throws.
std::unique_ptr<Generator> construct_dentry_negative_generator(const nlohmann::json& params,
                                                               const GeneratorContext& context) {
  auto [mode, dir] = parse_params(params);
  auto bad_dir = [&](const std::string& why) { return kreg::bad_dir(dir, why); };
  if (dir.front() != '/') {
    // tmpfs drops unused dentries at once, so prefer the ext4 scratch disk
    // where the guest has one (the guest's scratch_dir is tmpfs).
    dir = (context.disk_dir.empty() ? context.scratch_dir : context.disk_dir) + "/" + dir;
  }
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();

  struct stat st;
  if (stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) throw bad_dir("exists and is not a directory");

  std::vector<std::string> made;  // so cleanup removes exactly what we added
  auto undo = [&] {
    for (auto it = made.rbegin(); it != made.rend(); ++it) rmdir(it->c_str());
  };
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0755) == 0) {
      made.push_back(part);
    } else if (errno != EEXIST) {
      const int err = errno;
      undo();
      throw bad_dir("cannot be created (mkdir " + part + ": " + std::strerror(err) + ")");
    }
  }
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    undo();
    throw bad_dir(std::string("cannot be opened as a directory: ") + std::strerror(err));
  }
  // tmpfs and ramfs delete a dentry as soon as its last reference goes
  // (always_delete_dentry), so a miss there leaves nothing behind.
  struct statfs sfs;
  if (fstatfs(fd, &sfs) == 0 && (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC)) {
    close(fd);
    undo();
    throw bad_dir("is on tmpfs/ramfs, which never keeps negative dentries; use a disk-backed filesystem");
  }
  return std::make_unique<DentryNegativeGenerator>(mode, dir, std::move(made), fd);
}

double time_negative_lookup_ns(const std::string& dir, int samples) {
  if (samples < 1)
    throw std::invalid_argument("time_negative_lookup_ns: samples must be >= 1, got " + std::to_string(samples));
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("time_negative_lookup_ns: open " + dir + ": " + std::strerror(errno));
  std::vector<int64_t> ns(static_cast<size_t>(samples));
  char name[sizeof kNameTemplate];
  std::memcpy(name, kNameTemplate, sizeof name);
  for (int i = 0; i < samples; ++i) {
    write_index(name + 1, static_cast<uint64_t>(i));
    struct stat st;
    timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const int r = fstatat(fd, name, &st, 0);
    const int err = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r == 0 || err != ENOENT) {
      close(fd);
      throw std::runtime_error("time_negative_lookup_ns: " + dir + "/" + name +
                               (r == 0 ? " exists" : std::string(": ") + std::strerror(err)));
    }
    ns[static_cast<size_t>(i)] = (t1.tv_sec - t0.tv_sec) * 1'000'000'000LL + (t1.tv_nsec - t0.tv_nsec);
  }
  close(fd);
  std::sort(ns.begin(), ns.end());
  const size_t mid = ns.size() / 2;
  return ns.size() % 2 ? static_cast<double>(ns[mid]) : (ns[mid - 1] + ns[mid]) / 2.0;
}

}  // namespace kreg
