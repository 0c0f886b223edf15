#include "harness/bisect/commit_kernels.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

CapturedRun git(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir});
  return run_captured(args);
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string resolve(const std::string& repo, const std::string& rev, const std::string& what) {
  CapturedRun r = git(repo, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"});
  if (r.exit_code != 0 || r.out.empty())
    throw KregError(what + " revision '" + rev + "' does not exist in " + repo + " (see git -C " + repo + " log)");
  return first_line(r.out);
}

void check_kernel_tree(const std::string& repo, const std::string& rev) {
  CapturedRun makefile = git(repo, {"show", rev + ":Makefile"});
  static const std::regex version(R"((^|\n)VERSION = \d+\n)"), patchlevel(R"((^|\n)PATCHLEVEL = \d+\n)");
  bool kernel = makefile.exit_code == 0 && std::regex_search(makefile.out, version) &&
                std::regex_search(makefile.out, patchlevel) &&
                git(repo, {"cat-file", "-e", rev + ":Kconfig"}).exit_code == 0 &&
                git(repo, {"cat-file", "-e", rev + ":arch/x86/Kconfig"}).exit_code == 0;
  if (!kernel)
    throw KregError(repo + " is not a Linux kernel tree at " + rev.substr(0, 12) +
                    " (no top Makefile with VERSION and PATCHLEVEL, Kconfig and arch/x86/): give --repo a kernel "
                    "source history");
}

class CommitKernels : public KernelSequence {
 public:
  CommitKernels(std::string repo, std::vector<SequenceEntry> entries, std::string work_dir, TreeBuilder builder)
      : repo_(std::move(repo)),
        entries_(std::move(entries)),
        work_dir_(std::move(work_dir)),
        builder_(std::move(builder)) {}
  ~CommitKernels() override {
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  std::string kind() const override { return "commit"; }
  const std::vector<SequenceEntry>& entries() const override { return entries_; }

  KernelImage obtain(size_t position, std::string& how) override {
    checkout(entries_.at(position).json.at("commit"));
    return build(how);
  }

  std::optional<KernelImage> obtain_revert(size_t position, std::string& why) override {
    const std::string culprit = entries_.at(position).json.at("commit");
    checkout(entries_.back().json.at("commit"));
    CapturedRun r = git(tree(), {"revert", "--no-commit", culprit});
    if (r.exit_code != 0) {
      why = "git revert " + culprit.substr(0, 12) +
            " on the bad endpoint does not apply cleanly: " + first_line(r.err.empty() ? r.out : r.err);
      git(tree(), {"revert", "--abort"});
      return std::nullopt;
    }
    std::string how;
    try {
      return build(how);
    } catch (const StepSkip& e) {
      why = e.what();
      return std::nullopt;
    }
  }

  nlohmann::json to_json() const override {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries_) list.push_back({{"name", e.name}, {"title", e.title}, {"entry", e.json}});
    return {{"kind", kind()}, {"repo", repo_}, {"entries", list}};
  }

 private:
  // src/ beside the builder's obj/: the layout of a tarball's workspace.
  std::string tree() const { return work_dir_ + "/src"; }

  // One private checkout per repository, held under a lock for the bisect's
  // life: two bisects of one repository take turns instead of fighting.
  void prepare() {
    if (lock_fd_ >= 0) return;
    fs::create_directories(work_dir_);
    lock_fd_ = open((work_dir_ + "/kreg.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 || flock(lock_fd_, LOCK_EX) != 0) throw KregError("cannot lock " + work_dir_ + "/kreg.lock");
    if (!fs::exists(tree() + "/.git")) {
      CapturedRun clone = run_captured({"git", "clone", "-q", "--shared", "--no-checkout", repo_, tree()});
      if (clone.exit_code != 0) throw KregError("git clone --shared " + repo_ + " failed: " + first_line(clone.err));
    }
  }

  // Only files that differ are rewritten, so make rebuilds only what they touch.
  void checkout(const std::string& commit) {
    prepare();
    git(tree(), {"reset", "-q", "--hard"});
    CapturedRun fetch = git(tree(), {"fetch", "-q", repo_, commit});  // commits made after the clone
    (void)fetch;
    CapturedRun co = git(tree(), {"checkout", "-q", "--detach", "--force", commit});
    if (co.exit_code != 0) throw StepSkip("git checkout " + commit.substr(0, 12) + " failed: " + first_line(co.err));
    git(tree(), {"clean", "-q", "-f", "-d"});
  }

  KernelImage build(std::string& how) {
    try {
      return builder_(tree(), how);
    } catch (const KregError& e) {
      throw StepSkip(std::string("build failed: ") + e.what());
    }
  }

  std::string repo_;
  std::vector<SequenceEntry> entries_;
  std::string work_dir_;
  TreeBuilder builder_;
  int lock_fd_ = -1;
};

}  // namespace

std::unique_ptr<KernelSequence> commit_sequence(const std::string& repo_arg, const std::string& good,
                                                const std::string& bad, const std::string& work_dir,
                                                TreeBuilder builder) {
  if (!fs::is_directory(repo_arg)) throw KregError("--repo " + repo_arg + " is not a directory");
  const std::string repo = fs::canonical(repo_arg).string();
  CapturedRun top = git(repo, {"rev-parse", "--show-toplevel"});
  if (top.exit_code != 0) throw KregError("--repo " + repo_arg + " is not a git repository (git rev-parse failed)");
  if (good.empty() || bad.empty()) throw KregError("--repo needs --good REV and --bad REV");
  const std::string g = resolve(repo, good, "--good"), b = resolve(repo, bad, "--bad");
  if (g == b)
    throw KregError("the range holds fewer than two kernels: --good " + good + " and --bad " + bad +
                    " are the same commit " + g.substr(0, 12));
  if (git(repo, {"merge-base", "--is-ancestor", g, b}).exit_code != 0) {
    if (git(repo, {"merge-base", "--is-ancestor", b, g}).exit_code == 0)
      throw KregError("good and bad are swapped: --good " + good + " is later than --bad " + bad +
                      " (it descends from it); the good commit is the older one");
    throw KregError("--good " + good + " is not an ancestor of --bad " + bad +
                    ": they are on different branches (bisect needs good..bad on one history)");
  }
  check_kernel_tree(repo, b);
  std::vector<SequenceEntry> entries;
  auto entry = [&](const std::string& line) {
    std::istringstream in(line);
    std::string full, shortsha, subject;
    std::getline(in, full, '\t');
    std::getline(in, shortsha, '\t');
    std::getline(in, subject);
    entries.push_back({shortsha, subject, {{"commit", full}, {"subject", subject}}});
  };
  entry(first_line(git(repo, {"log", "-1", "--format=%H%x09%h%x09%s", g}).out));
  CapturedRun list = git(repo, {"log", "--first-parent", "--reverse", "--format=%H%x09%h%x09%s", g + ".." + b});
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) entry(line);
  if (entries.size() < 2 || entries.back().json["commit"] != b)
    throw KregError("--bad " + bad + " is not on the first-parent history from --good " + good +
                    " (a merged side branch); name a commit on the main line");
  return std::make_unique<CommitKernels>(repo, std::move(entries), work_dir, std::move(builder));
}

std::unique_ptr<KernelSequence> commit_sequence_from_json(const nlohmann::json& j, const std::string& work_dir,
                                                          TreeBuilder builder) {
  std::vector<SequenceEntry> entries;
  for (const auto& e : j.at("entries")) entries.push_back({e.at("name"), e.value("title", ""), e.at("entry")});
  return std::make_unique<CommitKernels>(j.at("repo"), std::move(entries), work_dir, std::move(builder));
}

}  // namespace kreg
