#include "vm/kernel_fetch.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness/error.hpp"
#include "vm/deb_extract.hpp"
#include "vm/process.hpp"

namespace kreg {

namespace fs = std::filesystem;

nlohmann::json to_json(const KernelImage& k) {
  return {{"vmlinuz", k.vmlinuz},       {"modules_dir", k.modules_dir},
          {"config_path", k.config_path}, {"release", k.release},
          {"package", k.package},       {"package_version", k.package_version},
          {"image_sha256", k.image_sha256}, {"config_sha256", k.config_sha256},
          {"source", k.source}};
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
  return k;
}

std::string control_field(const std::string& stanza, const std::string& field) {
  std::istringstream lines(stanza);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(field + ": ", 0) == 0) return line.substr(field.size() + 2);
  return "";
}

// Extracts kernel packages into `dir`: boot/vmlinuz-*, boot/config-* and
// lib/modules/* in one package (up to bookworm), or, from trixie-backports
// on, usr/lib/modules/<ver>/{vmlinuz,config,...} spread over linux-binary-,
// linux-base- and linux-modules-<ver>. The first package names the kernel.
KernelImage unpack_kernel_debs(const std::vector<std::string>& debs, const std::string& dir, const std::string& source) {
  fs::create_directories(dir);
  KernelImage k;
  DebControl control = read_deb_control(debs.at(0));
  for (const std::string& deb : debs) {
    extract_deb(deb, [&](const std::string& member) -> std::string {
      static const std::regex vmlinuz(R"(^(usr/lib/modules/[^/]+/vmlinuz|boot/vmlinuz-.+)$)");
      static const std::regex config(R"(^(?:boot/config-(.+)|usr/lib/modules/([^/]+)/config)$)");
      static const std::regex modules(R"(^(?:usr/)?lib/modules/([^/]+)/(.+)$)");
      std::smatch m;
      if (std::regex_match(member, m, config)) {
        k.release = m[1].matched ? m[1].str() : m[2].str();
        return k.config_path = dir + "/config";
      }
      if (std::regex_match(member, vmlinuz)) return k.vmlinuz = dir + "/vmlinuz";
      if (std::regex_match(member, m, modules)) {
        if (k.release.empty()) k.release = m[1];
        k.modules_dir = dir + "/modules";
        return k.modules_dir + "/" + m[2].str();
      }
      return "";
    });
  }
  if (k.vmlinuz.empty())
    throw KregError("package " + debs[0] + " holds no kernel image (boot/vmlinuz-* or usr/lib/modules/*/vmlinuz); pass a linux-image package");
  check_bzimage(k.vmlinuz);
  k.package = control.package;
  k.package_version = control.version;
  k.image_sha256 = sha256_file(k.vmlinuz);
  if (!k.config_path.empty()) k.config_sha256 = sha256_file(k.config_path);
  k.source = source;
  std::ofstream(dir + "/kernel.json") << to_json(k).dump(2) << "\n";
  return k;
}


std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KregError("cannot read " + path);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

void check_bzimage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KregError("kernel image " + path + " is missing or unreadable (give a bzImage path or a linux-image .deb)");
  char magic[4] = {};
  in.seekg(0x202);
  in.read(magic, 4);
  if (!in || std::string(magic, 4) != "HdrS")
    throw KregError("kernel image " + path + " is not an x86 bzImage (no HdrS boot header); it may be corrupt or another architecture");
}

std::string default_cache_dir() {
  if (const char* dir = std::getenv("KREG_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/kreg";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/kreg";
}

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
    throw KregError("apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned package (run 'apt-get update' on a Debian bookworm host, or pass --kernel PATH)");
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
  KernelImage k = unpack_kernel_debs({deb}, dir, source);
  fs::remove(deb);  // the extracted tree is the cache; the .deb is 27 MB of duplicate
  return k;
}

KernelImage kernel_from_path(const std::string& path, const std::string& cache_dir) {
  if (!fs::exists(path)) throw KregError("kernel " + path + " does not exist (give a bzImage or a linux-image .deb)");
  if (path.size() > 4 && path.substr(path.size() - 4) == ".deb") {
    std::string dir = cache_dir + "/kernels/" + sha256_file(path);
    if (fs::exists(dir + "/kernel.json")) {
      std::ifstream in(dir + "/kernel.json");
      return kernel_from_json(nlohmann::json::parse(in));
    }
    return unpack_kernel_debs({path}, dir, path);
  }
  check_bzimage(path);
  KernelImage k;
  k.vmlinuz = fs::absolute(path);
  k.image_sha256 = sha256_file(path);
  k.source = path;
  return k;
}

}  // namespace kreg
