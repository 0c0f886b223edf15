#include "vm/kernels/debian_apt.hpp"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "vm/common/error.hpp"

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

}  // namespace

std::vector<std::string> PrivateApt::options() const {
  return {"-o", "Dir::Etc::sourcelist=" + dir + "/sources.list",
          "-o", "Dir::Etc::sourceparts=-",
          "-o", "Dir::State::Lists=" + dir + "/lists",
          "-o", "Dir::Cache=" + dir + "/cache",
          "-o", "APT::Get::List-Cleanup=0",
          "-o", "APT::Sandbox::User=root"};  // root-owned cache dir
}

CapturedRun PrivateApt::run(const std::string& tool, std::vector<std::string> args, const std::string& cwd) const {
  std::vector<std::string> argv = {tool};
  for (const auto& o : options()) argv.push_back(o);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_captured(argv, cwd);
}

std::string suite_lock_path(const std::string& suite, const std::string& cache_dir) {
  return cache_dir + "/apt/" + suite + "/kreg.lock";
}

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
  // Lists updated a few minutes ago from the same sources are kept: a bisect
  // lists a suite's kernels and then fetches them one by one, and each
  // apt-get update costs seconds to tens of seconds.
  const std::string stamp = apt.dir + "/lists/kreg-updated";
  for (const std::string& sources : {base + extras, base}) {
    std::error_code ec;
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(stamp, ec);
    std::ifstream previous(stamp);
    std::string used((std::istreambuf_iterator<char>(previous)), std::istreambuf_iterator<char>());
    if (!ec && used == sources && age < std::chrono::minutes(10)) {
      std::ofstream(apt.dir + "/sources.list", std::ios::trunc) << sources;
      return apt;
    }
  }
  CapturedRun update;
  for (const std::string& sources : {base + extras, base}) {
    std::ofstream(apt.dir + "/sources.list", std::ios::trunc) << sources;
    update = apt.run("apt-get", {"-q", "update"});
    if (update.exit_code == 0) std::ofstream(stamp, std::ios::trunc) << sources;
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

}  // namespace kreg
