#include "vm/kernels/kernel_fetch.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <tuple>

#include "vm/archive/deb_extract.hpp"
#include "vm/archive/rpm_extract.hpp"
#include "vm/common/error.hpp"
#include "vm/common/process.hpp"

namespace kreg {

namespace fs = std::filesystem;

nlohmann::json to_json(const KernelImage& k) {
  return {{"vmlinuz", k.vmlinuz},
          {"modules_dir", k.modules_dir},
          {"config_path", k.config_path},
          {"release", k.release},
          {"package", k.package},
          {"package_version", k.package_version},
          {"image_sha256", k.image_sha256},
          {"config_sha256", k.config_sha256},
          {"source", k.source},
          {"packages", k.packages},
          {"files", k.files},
          {"build", k.build},
          {"label", k.label}};
}

KernelImage kernel_from_json(const nlohmann::json& j) {
  KernelImage k;
  k.vmlinuz = j.value("vmlinuz", "");
  k.modules_dir = j.value("modules_dir", "");
  k.config_path = j.value("config_path", "");
  k.release = j.value("release", "");
  k.package = j.value("package", "");
  k.package_version = j.value("package_version", "");
  k.image_sha256 = j.value("image_sha256", "");
  k.config_sha256 = j.value("config_sha256", "");
  k.source = j.value("source", "");
  k.packages = j.value("packages", std::vector<std::string>{});
  k.files = j.value("files", std::map<std::string, std::string>{});
  k.build = j.value("build", nlohmann::json());
  k.label = j.value("label", "");
  return k;
}

std::string control_field(const std::string& stanza, const std::string& field) {
  std::istringstream lines(stanza);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(field + ": ", 0) == 0) return line.substr(field.size() + 2);
  return "";
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Package name and version from a .deb's control file or an .rpm's header.
std::pair<std::string, std::string> package_identity(const std::string& package) {
  if (ends_with(package, ".rpm")) {
    RpmHeader h = read_rpm_header(package);
    return {h.name, h.version + "-" + h.release};
  }
  DebControl control = read_deb_control(package);
  return {control.package, control.version};
}

// kernel-core-<ver>.rpm (RHEL 8+, Fedora) carries the image and the config;
// the modules are in kernel-modules-core-<ver>.rpm (RHEL 9.2+, Fedora 37+)
// and kernel-modules-<ver>.rpm. Those lying beside it are extracted with it.
std::vector<std::string> rpm_kernel_packages(const std::string& rpm) {
  std::vector<std::string> rpms = {rpm};
  const fs::path path(rpm);
  const std::string name = read_rpm_header(rpm).name, file = path.filename();
  if (!ends_with(name, "-core") || file.rfind(name + "-", 0) != 0) return rpms;
  const std::string base = name.substr(0, name.size() - 5), rest = file.substr(name.size() + 1);
  for (const std::string& part : {base + "-modules-core-", base + "-modules-"})
    if (fs::path sibling = path.parent_path() / (part + rest); fs::exists(sibling)) rpms.push_back(sibling);
  return rpms;
}

std::optional<KernelImage> cached_kernel(const std::string& dir) {
  if (!fs::exists(dir + "/kernel.json")) return std::nullopt;
  return kernel_from_json(nlohmann::json::parse(std::ifstream(dir + "/kernel.json")));
}

}  // namespace

// Extracts kernel packages into `dir`. Layouts: boot/vmlinuz-*, boot/config-*
// and lib/modules/* in one package (Debian up to bookworm, CentOS/RHEL 7's
// "kernel" rpm); or (usr/)lib/modules/<ver>/{vmlinuz,config,...} (Debian from
// trixie-backports on, spread over linux-binary-, linux-base- and
// linux-modules-<ver>; RHEL 8+/Fedora kernel-core with kernel-modules-core
// and kernel-modules). The first package names the kernel.
KernelImage unpack_kernel_packages(const std::vector<std::string>& packages, const std::string& dir,
                                   const std::string& source) {
  fs::create_directories(dir);
  KernelImage k;
  std::tie(k.package, k.package_version) = package_identity(packages.at(0));
  std::map<std::string, size_t> module_files;  // "<package file>: <modules dir>/" -> files
  for (const std::string& package : packages) {
    const std::string name = fs::path(package).filename();
    k.packages.push_back(name);
    auto mapper = [&](const std::string& member) -> std::string {
      static const std::regex vmlinuz(R"(^((?:usr/)?lib/modules/[^/]+/vmlinuz|boot/vmlinuz-.+)$)");
      static const std::regex config(R"(^(?:boot/config-(.+)|(?:usr/)?lib/modules/([^/]+)/config)$)");
      static const std::regex modules(R"(^((?:usr/)?lib/modules/([^/]+)/)(.+)$)");
      std::smatch m;
      if (std::regex_match(member, m, config)) {
        k.release = m[1].matched ? m[1].str() : m[2].str();
        k.files["config"] = name + ": " + member;
        return k.config_path = dir + "/config";
      }
      if (std::regex_match(member, vmlinuz)) {
        k.files["vmlinuz"] = name + ": " + member;
        return k.vmlinuz = dir + "/vmlinuz";
      }
      if (std::regex_match(member, m, modules)) {
        if (k.release.empty()) k.release = m[2];
        k.modules_dir = dir + "/modules";
        ++module_files[name + ": " + m[1].str()];
        return k.modules_dir + "/" + m[3].str();
      }
      return "";
    };
    if (ends_with(package, ".rpm"))
      extract_rpm(package, mapper);
    else
      extract_deb(package, mapper);
  }
  if (k.vmlinuz.empty())
    throw KregError("package " + packages[0] +
                    " holds no kernel image (boot/vmlinuz-* or lib/modules/*/vmlinuz); pass a linux-image .deb, "
                    "or a kernel / kernel-core .rpm");
  check_bzimage(k.vmlinuz);
  for (const auto& [from, count] : module_files)
    k.files["modules"] += (k.files["modules"].empty() ? "" : ", ") + from + " (" + std::to_string(count) + " entries)";
  k.image_sha256 = sha256_file(k.vmlinuz);
  if (!k.config_path.empty()) k.config_sha256 = sha256_file(k.config_path);
  k.source = source;
  std::ofstream(dir + "/kernel.json") << to_json(k).dump(2) << "\n";
  return k;
}

void check_bzimage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw KregError("kernel image " + path + " is missing or unreadable (give a bzImage path or a linux-image .deb)");
  char magic[4] = {};
  in.seekg(0x202);
  in.read(magic, 4);
  if (!in || std::string(magic, 4) != "HdrS")
    throw KregError("kernel image " + path +
                    " is not an x86 bzImage (no HdrS boot header); it may be corrupt or another architecture");
}

std::string default_cache_dir() {
  if (const char* dir = std::getenv("KREG_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/kreg";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/kreg";
}

std::string resolve_cache_dir(const std::string& chosen) { return chosen.empty() ? default_cache_dir() : chosen; }

KernelImage fetch_debian_61_cloud(const std::string& cache_dir) {
  const std::string source = "debian:bookworm linux-image-6.1.0-*-cloud-amd64-unsigned (newest)";
  CapturedRun names = run_captured({"apt-cache", "pkgnames", "linux-image-6.1.0-"});
  static const std::regex pattern(R"(^linux-image-6\.1\.0-(\d+)-cloud-amd64-unsigned$)");
  std::string best;
  int best_abi = -1;
  std::istringstream lines(names.out);
  for (std::string name; std::getline(lines, name);) {
    std::smatch m;
    if (std::regex_match(name, m, pattern) && std::stoi(m[1]) > best_abi) {
      best_abi = std::stoi(m[1]);
      best = name;
    }
  }
  if (best.empty())
    throw KregError(
        "apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned package (run 'apt-get update' on a Debian bookworm "
        "host, or pass --kernel PATH)");
  CapturedRun show = run_captured({"apt-cache", "show", "--no-all-versions", best});
  std::string version = control_field(show.out, "Version"), sha = control_field(show.out, "SHA256");
  if (show.exit_code != 0 || version.empty() || sha.size() != 64)
    throw KregError("apt-cache show " + best + " gave no version/SHA256 (run 'apt-get update')");

  std::string dir = cache_dir + "/kernels/" + sha;
  if (fs::exists(dir + "/kernel.json")) {
    std::ifstream in(dir + "/kernel.json");
    return kernel_from_json(nlohmann::json::parse(in));
  }
  std::string download_dir = cache_dir + "/debs";
  fs::create_directories(download_dir);
  CapturedRun dl = run_captured({"apt-get", "download", best + "=" + version}, download_dir);
  std::string deb;
  for (const auto& entry : fs::directory_iterator(download_dir)) {
    std::string file = entry.path().filename();
    if (file.rfind(best + "_", 0) == 0 && entry.path().extension() == ".deb") deb = entry.path();
  }
  if (dl.exit_code != 0 || deb.empty()) {
    std::string why = dl.err.substr(0, dl.err.find('\n'));
    throw KregError("apt-get download " + best + " failed: " + why + " (check the apt mirror, or pass --kernel PATH)");
  }
  if (sha256_file(deb) != sha) {
    fs::remove(deb);
    throw KregError("downloaded " + deb + " does not match apt's SHA256; removed it, run again");
  }
  KernelImage k = unpack_kernel_packages({deb}, dir, source);
  fs::remove(deb);  // the extracted tree is the cache; the .deb is 27 MB of duplicate
  return k;
}

KernelImage kernel_from_path(const std::string& path, const std::string& cache_dir) {
  if (!fs::exists(path))
    throw KregError("kernel " + path + " does not exist (give a bzImage, a linux-image .deb or a kernel .rpm)");
  if (ends_with(path, ".deb")) {
    std::string dir = cache_dir + "/kernels/" + sha256_file(path);
    if (auto k = cached_kernel(dir)) return *k;
    return unpack_kernel_packages({path}, dir, fs::absolute(path));
  }
  if (ends_with(path, ".rpm")) {
    std::vector<std::string> rpms = rpm_kernel_packages(path);
    std::vector<std::string> names;
    for (const auto& rpm : rpms) names.push_back(fs::path(rpm).filename());
    std::string dir = cache_dir + "/kernels/" + sha256_file(path);
    // Cached from the same packages (a kernel-modules rpm may have been added beside it since).
    if (auto k = cached_kernel(dir); k && k->packages == names) return *k;
    fs::remove_all(dir);
    return unpack_kernel_packages(rpms, dir, fs::absolute(path));
  }
  check_bzimage(path);
  KernelImage k;
  k.vmlinuz = fs::absolute(path);
  k.image_sha256 = sha256_file(path);
  k.source = path;
  return k;
}

}  // namespace kreg
