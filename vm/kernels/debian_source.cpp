// debian-source:<suite>[:<version>]: Debian's linux-source-<ver> package (the
// Debian-patched kernel tree as /usr/src/linux-source-<ver>.tar.xz), fetched
// with the private apt configuration of debian_apt.hpp and unpacked once
// into the tarball's workspace. sources/debian/<deb sha256>.json remembers
// which tarball a package holds, so a second request downloads nothing.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "vm/archive/deb_extract.hpp"
#include "vm/common/error.hpp"
#include "vm/common/file_lock.hpp"
#include "vm/common/sha256.hpp"
#include "vm/kernels/debian_apt.hpp"
#include "vm/kernels/kernel_fetch.hpp"
#include "vm/kernels/source_kernel.hpp"
#include "vm/source/kernel_tarball.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

struct Candidate {
  std::string package, version, sha256;
};

// Every linux-source-X.Y version apt knows in the suite, newest first.
std::vector<Candidate> source_candidates(const PrivateApt& apt, const std::string& prefix) {
  static const std::regex name(R"(^linux-source-\d+\.\d+$)");
  std::vector<Candidate> out;
  std::istringstream names(apt.run("apt-cache", {"pkgnames", "linux-source-"}).out);
  for (std::string package; std::getline(names, package);) {
    if (!std::regex_match(package, name)) continue;
    std::istringstream stanzas(apt.run("apt-cache", {"show", package}).out);
    std::string stanza, line;
    auto flush = [&] {
      std::string version = control_field(stanza, "Version"), sha = control_field(stanza, "SHA256");
      if (!version.empty() && sha.size() == 64 && version_has_prefix(version, prefix))
        out.push_back({package, version, sha});
      stanza.clear();
    };
    while (std::getline(stanzas, line)) {
      if (line.empty())
        flush();
      else
        stanza += line + "\n";
    }
    flush();
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return version_less(b.version, a.version); });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Candidate& a, const Candidate& b) { return a.version == b.version; }),
            out.end());
  return out;
}

}  // namespace

DebianSource fetch_debian_source(const std::string& spec, const std::string& cache_dir) {
  const std::string rest = spec.substr(std::string("debian-source:").size());
  const std::string suite = rest.substr(0, rest.find(':'));
  const std::string prefix = rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
  FileLock lock(suite_lock_path(suite, cache_dir));
  PrivateApt apt = private_apt(suite, cache_dir);
  std::vector<Candidate> candidates = source_candidates(apt, prefix);
  if (candidates.empty())
    throw KregError("Debian suite '" + suite + "' has no linux-source-* package" +
                    (prefix.empty() ? "" : " whose version starts with " + prefix));
  const Candidate& c = candidates.front();
  DebianSource d{"", c.package, c.version};
  const std::string memo = cache_dir + "/sources/debian/" + c.sha256 + ".json";
  if (fs::exists(memo)) {
    d.tarball_sha256 = nlohmann::json::parse(std::ifstream(memo)).value("tarball_sha256", "");
    if (fs::exists(tarball_workspace(cache_dir, d.tarball_sha256) + "/src/Makefile")) return d;
  }
  std::fprintf(stderr, "kreg: downloading %s %s from Debian %s\n", c.package.c_str(), c.version.c_str(), suite.c_str());
  const std::string download_dir = apt.dir + "/source-debs";
  fs::remove_all(download_dir);
  fs::create_directories(download_dir);
  CapturedRun dl = apt.run("apt-get", {"download", c.package + "=" + c.version}, download_dir);
  std::string deb;
  for (const auto& e : fs::directory_iterator(download_dir))
    if (e.path().extension() == ".deb") deb = e.path();
  if (dl.exit_code != 0 || deb.empty())
    throw KregError("apt-get download of " + c.package + " " + c.version + " from " + suite +
                    " failed: " + apt_error(dl.err));
  if (sha256_file(deb) != c.sha256) throw KregError("download of " + c.package + " does not match apt's SHA256");
  // The tarball inside: usr/src/linux-source-<ver>.tar.xz.
  const std::string tarball = download_dir + "/linux-source.tar";
  extract_deb(deb, [&](const std::string& member) -> std::string {
    static const std::regex inner(R"(^usr/src/linux-source-[^/]+\.tar(\.xz|\.gz|\.bz2)?$)");
    return std::regex_match(member, inner) ? tarball : "";
  });
  if (!fs::exists(tarball)) throw KregError(c.package + " " + c.version + " holds no usr/src/linux-source-*.tar.xz");
  d.tarball_sha256 = sha256_file(tarball);
  const std::string ws = tarball_workspace(cache_dir, d.tarball_sha256);
  if (!fs::exists(ws + "/src/Makefile")) {
    FileLock ws_lock(ws + "/src.lock");
    std::fprintf(stderr, "kreg: unpacking %s into %s\n", c.package.c_str(), (ws + "/src").c_str());
    unpack_kernel_tarball(tarball, ws + "/src", spec);
  }
  fs::create_directories(fs::path(memo).parent_path());
  std::ofstream(memo)
      << nlohmann::json{{"package", c.package}, {"version", c.version}, {"tarball_sha256", d.tarball_sha256}}.dump(2)
      << "\n";
  fs::remove_all(download_dir);
  return d;
}

}  // namespace kreg
