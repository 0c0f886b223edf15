// debian:<suite>[:<version>] kernels through a private apt configuration
// (debian_apt.hpp), and obtain_kernel: the one entry point for a kernel spec.
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
#include "vm/common/file_lock.hpp"
#include "vm/common/process.hpp"
#include "vm/kernels/debian_apt.hpp"
#include "vm/kernels/kernel_fetch.hpp"
#include "vm/kernels/source_kernel.hpp"

namespace kreg {

namespace fs = std::filesystem;

namespace {

// (ABI version, package) of every cloud-amd64 image whose ABI version starts
// with `prefix`, oldest first, one package per version (-unsigned preferred:
// it is the image itself).
std::vector<std::pair<std::string, std::string>> kernel_candidates(const PrivateApt& apt, const std::string& prefix) {
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
            [](const auto& a, const auto& b) { return version_less(a.first, b.first); });
  return candidates;
}

std::set<std::string> remembered_unavailable(const std::string& path) {
  std::set<std::string> unavailable;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) unavailable.insert(line);
  return unavailable;
}

}  // namespace

bool debian_version_less(const std::string& a, const std::string& b) { return version_less(a, b); }

std::vector<DebianKernelPackage> list_debian_kernels(const std::string& suite, const std::string& prefix,
                                                     const std::string& cache_dir) {
  FileLock lock(suite_lock_path(suite, cache_dir));
  PrivateApt apt = private_apt(suite, cache_dir);
  const std::set<std::string> unavailable = remembered_unavailable(apt.dir + "/unavailable.txt");
  std::vector<DebianKernelPackage> out;
  for (const auto& [abi_version, package] : kernel_candidates(apt, prefix)) {
    std::string show = apt.run("apt-cache", {"show", "--no-all-versions", package}).out;
    DebianKernelPackage p{abi_version, package, control_field(show, "Version"), control_field(show, "SHA256")};
    // A name apt only knows from another package's relations has no version.
    if (p.version.empty() || unavailable.count(package + "=" + p.version)) continue;
    out.push_back(p);
  }
  return out;
}

KernelImage fetch_debian_kernel(const std::string& spec, const std::string& cache_dir) {
  // debian:<suite>[:<version prefix>]
  std::string rest = spec.substr(std::string("debian:").size());
  std::string suite = rest.substr(0, rest.find(':'));
  std::string prefix = rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
  if (suite.empty())
    throw KregError("kernel '" + spec + "' names no suite (e.g. debian:bullseye or debian:bookworm:6.1)");
  // apt's own lock fails at once when another kreg is resolving the same
  // suite; this one waits its turn (and then finds the kernel cached).
  FileLock lock(suite_lock_path(suite, cache_dir));
  PrivateApt apt = private_apt(suite, cache_dir);

  std::vector<std::pair<std::string, std::string>> candidates = kernel_candidates(apt, prefix);
  std::reverse(candidates.begin(), candidates.end());  // newest first
  if (candidates.empty())
    throw KregError("Debian suite '" + suite + "' has no linux-image-" + prefix + "*-cloud-amd64 package");

  // A mirror may list a package (e.g. from <suite>-security) that it does
  // not serve: the next newest is used then, and the user is told.
  // Packages the mirror refused before are remembered, so the next run does
  // not ask again (its pool does not change under a listed version).
  const std::string unavailable_path = apt.dir + "/unavailable.txt";
  const std::set<std::string> unavailable = remembered_unavailable(unavailable_path);
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

KernelImage obtain_kernel(const KernelSpec& spec, const std::string& cache_dir) {
  check_kernel_spec(spec);
  if (spec.is_source()) return obtain_source_kernel(spec, cache_dir);
  KernelImage k = spec.spec.rfind("debian:", 0) == 0 ? fetch_debian_kernel(spec.spec, cache_dir)
                  : !spec.spec.empty()               ? kernel_from_path(spec.spec, cache_dir)
                                                     : fetch_debian_61_cloud(cache_dir);
  k.label = spec.label;
  return k;
}

}  // namespace kreg
