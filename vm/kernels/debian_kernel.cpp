// debian:<suite>[:<version>] kernels through a private apt configuration.
// The mirror is the one the host's apt already uses (never a host name of
// ours); lists and downloads live in kreg's cache, so the host's apt state
// is never touched. Debian's archive keyring trusts bullseye to trixie.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "vm/common/error.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/kernel_fetch.hpp"

namespace kreg {

namespace fs = std::filesystem;

namespace {

// The Debian archive URIs in the host's apt sources (deb822 .sources files
// or one-line sources.list): the first main archive, and the first security
// archive ("" when the host has none).
struct HostMirrors {
  std::string main, security;
};

HostMirrors host_debian_mirrors() {
  std::vector<fs::path> files = {"/etc/apt/sources.list"};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/etc/apt/sources.list.d", ec)) files.push_back(e.path());
  static const std::regex deb822(R"(^URIs:\s*(\S+))"), oneline(R"(^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+)");
  HostMirrors m;
  for (const auto& file : files) {
    if (file.extension() != ".sources" && file.extension() != ".list") continue;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      std::smatch match;
      if (!std::regex_search(line, match, deb822) && !std::regex_search(line, match, oneline)) continue;
      const std::string uri = match[1];
      if (uri.find("security") != std::string::npos) {
        if (m.security.empty()) m.security = uri;
      } else if (uri.find("/debian") != std::string::npos && m.main.empty()) {
        m.main = uri;
      }
    }
  }
  if (m.main.empty())
    throw KregError(
        "no Debian mirror in the host's apt sources (/etc/apt/sources.list*); debian:<suite> kernels need one");
  return m;
}

struct PrivateApt {
  std::string dir;
  std::vector<std::string> options() const {
    return {"-o", "Dir::Etc::sourcelist=" + dir + "/sources.list",
            "-o", "Dir::Etc::sourceparts=-",
            "-o", "Dir::State::Lists=" + dir + "/lists",
            "-o", "Dir::Cache=" + dir + "/cache",
            "-o", "APT::Get::List-Cleanup=0",
            "-o", "APT::Sandbox::User=root"};  // root-owned cache dir
  }
  CapturedRun run(const std::string& tool, std::vector<std::string> args, const std::string& cwd = "") const {
    std::vector<std::string> argv = {tool};
    for (const auto& o : options()) argv.push_back(o);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_captured(argv, cwd);
  }
};

// An exclusive flock on <dir>/kreg.lock for as long as it lives.
class SuiteLock {
 public:
  explicit SuiteLock(const std::string& dir) {
    fs::create_directories(dir);
    fd_ = open((dir + "/kreg.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw KregError("cannot create " + dir + "/kreg.lock: " + std::strerror(errno));
    while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~SuiteLock() { close(fd_); }
  SuiteLock(const SuiteLock&) = delete;
  SuiteLock& operator=(const SuiteLock&) = delete;

 private:
  int fd_ = -1;
};

// apt's own error line ("E: ..."), else its first line.
std::string apt_error(const std::string& err) {
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("E: ", 0) == 0) return line;
  return err.substr(0, err.find('\n'));
}

// A stable suite's kernels are updated in <suite>-updates and
// <suite>-security (bookworm's 6.12 and newest 6.1 live there), so those are
// included where the mirror serves them; a suite whose extras do not resolve
// falls back to the suite alone.
PrivateApt private_apt(const std::string& suite, const std::string& cache_dir) {
  PrivateApt apt{cache_dir + "/apt/" + suite};
  fs::create_directories(apt.dir + "/lists/partial");
  fs::create_directories(apt.dir + "/cache/archives/partial");
  const HostMirrors mirrors = host_debian_mirrors();
  const std::string deb = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ";
  std::string base = deb + mirrors.main + " " + suite + " main\n";
  std::string extras;
  if (suite.find('-') == std::string::npos) {  // not backports, updates or security itself
    extras += deb + mirrors.main + " " + suite + "-updates main\n";
    if (!mirrors.security.empty()) extras += deb + mirrors.security + " " + suite + "-security main\n";
  }
  CapturedRun update;
  for (const std::string& sources : {base + extras, base}) {
    std::ofstream(apt.dir + "/sources.list", std::ios::trunc) << sources;
    update = apt.run("apt-get", {"-q", "update"});
    if (update.exit_code == 0 || extras.empty()) break;
  }
  if (update.exit_code != 0)
    throw KregError("apt-get update for Debian suite '" + suite + "' failed: " + apt_error(update.err) +
                    " (is the suite name right?)");
  return apt;
}

// "6.1" names 6.1.x, not 6.12: the prefix must end at a version boundary.
bool version_has_prefix(const std::string& version, const std::string& prefix) {
  if (version.rfind(prefix, 0) != 0) return false;
  return version.size() == prefix.size() || !std::isdigit(static_cast<unsigned char>(version[prefix.size()])) ||
         !std::isdigit(static_cast<unsigned char>(prefix.back()));
}

// Version ordering for "6.1.0-56" vs "6.12.117+deb13": numeric runs compared as numbers.
bool version_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(a[i]) && std::isdigit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(a[ie])) ++ie;
      while (je < b.size() && std::isdigit(b[je])) ++je;
      long long x = std::stoll(a.substr(i, ie - i)), y = std::stoll(b.substr(j, je - j));
      if (x != y) return x < y;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

KernelImage fetch_debian_kernel(const std::string& spec, const std::string& cache_dir) {
  // debian:<suite>[:<version prefix>]
  std::string rest = spec.substr(std::string("debian:").size());
  std::string suite = rest.substr(0, rest.find(':'));
  std::string prefix = rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
  if (suite.empty())
    throw KregError("kernel '" + spec + "' names no suite (e.g. debian:bullseye or debian:bookworm:6.1)");
  // apt's own lock fails at once when another kreg is resolving the same
  // suite; this one waits its turn (and then finds the kernel cached).
  SuiteLock lock(cache_dir + "/apt/" + suite);
  PrivateApt apt = private_apt(suite, cache_dir);

  // Candidates newest first, one package per version (-unsigned preferred:
  // it is the image itself).
  static const std::regex image(R"(^linux-image-(\d[^ ]*)-cloud-amd64(-unsigned)?$)");
  std::map<std::string, std::string> by_version;
  std::istringstream names(apt.run("apt-cache", {"pkgnames", "linux-image-"}).out);
  for (std::string name; std::getline(names, name);) {
    std::smatch m;
    if (!std::regex_match(name, m, image) || !version_has_prefix(m[1].str(), prefix)) continue;
    if (!by_version.count(m[1]) || m[2].matched) by_version[m[1]] = name;
  }
  std::vector<std::pair<std::string, std::string>> candidates(by_version.begin(), by_version.end());
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return version_less(b.first, a.first); });
  if (candidates.empty())
    throw KregError("Debian suite '" + suite + "' has no linux-image-" + prefix + "*-cloud-amd64 package");

  // A mirror may list a package (e.g. from <suite>-security) that it does
  // not serve: the next newest is used then, and the user is told.
  // Packages the mirror refused before are remembered, so the next run does
  // not ask again (its pool does not change under a listed version).
  const std::string unavailable_path = apt.dir + "/unavailable.txt";
  std::set<std::string> unavailable;
  {
    std::ifstream in(unavailable_path);
    for (std::string line; std::getline(in, line);) unavailable.insert(line);
  }
  std::string first_error;
  size_t tried = 0;
  for (size_t c = 0; c < candidates.size() && tried < 4; ++c) {
    const auto& [abi_version, package] = candidates[c];
    std::string show = apt.run("apt-cache", {"show", "--no-all-versions", package}).out;
    std::string version = control_field(show, "Version"), sha = control_field(show, "SHA256");
    if (unavailable.count(package + "=" + version)) continue;
    ++tried;
    std::string dir = cache_dir + "/kernels/" + sha;
    if (fs::exists(dir + "/kernel.json"))
      return kernel_from_json(nlohmann::json::parse(std::ifstream(dir + "/kernel.json")));
    // From trixie-backports on, linux-image-<ver> is a small package depending
    // on linux-binary- (the image), linux-base- (config) and linux-modules-<ver>.
    std::vector<std::string> packages = {package};
    std::string abi = abi_version + "-cloud-amd64";
    if (control_field(show, "Depends").find("linux-binary-" + abi) != std::string::npos)
      for (const char* part : {"linux-binary-", "linux-base-", "linux-modules-"}) packages.push_back(part + abi);
    std::string download_dir = apt.dir + "/debs";
    fs::remove_all(download_dir);
    fs::create_directories(download_dir);
    std::vector<std::string> args = {"download"};
    for (const auto& p : packages) args.push_back(p + "=" + version);
    CapturedRun dl = apt.run("apt-get", args, download_dir);
    if (dl.exit_code != 0) {
      std::string why = "apt-get download of " + package + " from " + suite + " failed: " + apt_error(dl.err);
      if (first_error.empty()) first_error = why;
      std::ofstream(unavailable_path, std::ios::app) << package << "=" << version << "\n";
      std::fprintf(stderr, "kreg: warning: %s; trying the next newest\n", why.c_str());
      continue;
    }
    std::vector<std::string> debs;
    for (const auto& p : packages)
      for (const auto& e : fs::directory_iterator(download_dir))
        if (e.path().filename().string().rfind(p + "_", 0) == 0) debs.push_back(e.path());
    if (debs.size() != packages.size() || sha256_file(debs[0]) != sha)
      throw KregError("download of " + package + " from " + suite + " is incomplete or does not match apt's SHA256");
    KernelImage k = unpack_kernel_packages(debs, dir, spec);
    fs::remove_all(download_dir);
    return k;
  }
  throw KregError(first_error.empty()
                      ? "no downloadable linux-image-" + prefix + "*-cloud-amd64 in Debian suite '" + suite +
                            "' (the mirror refused every candidate before: see " + unavailable_path + ")"
                      : first_error);
}

KernelImage obtain_kernel(const std::string& spec, const std::string& cache_dir) {
  if (spec.rfind("debian:", 0) == 0) return fetch_debian_kernel(spec, cache_dir);
  if (!spec.empty()) return kernel_from_path(spec, cache_dir);
  return fetch_debian_61_cloud(cache_dir);
}

}  // namespace kreg
