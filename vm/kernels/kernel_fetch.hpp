// Getting a kernel to boot: the newest Debian 6.1 cloud kernel fetched with
// apt into kreg's own cache (never installed into the host's /boot), or a
// kernel the user names (a bzImage file, a .deb or an .rpm).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vm/common/sha256.hpp"  // sha256_file, used with kernels everywhere
#include "vm/kernels/kernel_spec.hpp"

namespace kreg {

struct KernelImage {
  std::string vmlinuz;          // bzImage to boot
  std::string modules_dir;      // lib/modules/<release> extracted, "" if none
  std::string config_path;      // the package's /boot/config-*, "" if none
  std::string release;          // from the package's file names, e.g. 6.1.0-56-cloud-amd64
  std::string package;          // package name (Debian or RPM), "" for a bare image
  std::string package_version;  // Debian version or RPM version-release, "" for a bare image
  std::string image_sha256;
  std::string config_sha256;
  std::string source;                        // what the user asked for, e.g. "debian:bookworm (6.1 cloud)"
  std::vector<std::string> packages;         // file names of the packages extracted, first names the kernel
  std::map<std::string, std::string> files;  // "vmlinuz"/"config"/"modules" -> "<package file>: <member>"
  // Kernels built from source: build.json (source and its identity, patches,
  // base config, config warnings, toolchain, fixes applied, timing); null
  // for packaged kernels and bare images.
  nlohmann::json build;
  // The name units and records use (jobs/<label>/); "" = the release. Not
  // stored in the cache: the same build may be labelled differently by suites.
  std::string label;
};

nlohmann::json to_json(const KernelImage& k);

// $KREG_CACHE_DIR, else $XDG_CACHE_HOME/kreg, else ~/.cache/kreg.
std::string default_cache_dir();
// `chosen` (a --cache option) when given, else default_cache_dir().
std::string resolve_cache_dir(const std::string& chosen);

// Newest linux-image-6.1.0-*-cloud-amd64-unsigned known to the host's apt.
// Downloads (once: the cache is keyed by the package's SHA-256), verifies
// and extracts. Throws KregError with the fix when apt cannot resolve it.
KernelImage fetch_debian_61_cloud(const std::string& cache_dir);

// A kernel the user gave: a bzImage, or a kernel package extracted into the
// cache (keyed by the package's SHA-256): a Debian linux-image .deb, or an
// RPM (CentOS/RHEL 7 "kernel" with /boot/vmlinuz-*, or RHEL 8+/Fedora
// "kernel-core" with lib/modules/<ver>/vmlinuz, plus its kernel-modules-core
// and kernel-modules packages when they lie beside it). Throws KregError
// naming the path if it is missing, unreadable or not a bzImage.
KernelImage kernel_from_path(const std::string& path, const std::string& cache_dir);

// Extracts one kernel (one or several .deb or .rpm packages of it) into `dir`
// and writes dir/kernel.json; the first package names the kernel.
KernelImage unpack_kernel_packages(const std::vector<std::string>& packages, const std::string& dir,
                                   const std::string& source);
KernelImage kernel_from_json(const nlohmann::json& j);

// "Field: value" from the first stanza of apt-cache show / a control file.
std::string control_field(const std::string& stanza, const std::string& field);

// "debian:<suite>" or "debian:<suite>:<version-prefix>" (e.g. debian:bullseye,
// debian:bookworm:6.12, debian:trixie-backports): the newest cloud-amd64
// kernel of that suite, resolved with a private apt configuration built from
// the host's configured Debian mirror (the host's apt state is untouched).
KernelImage fetch_debian_kernel(const std::string& spec, const std::string& cache_dir);

// One cloud-amd64 kernel package of a Debian suite, as apt lists it.
struct DebianKernelPackage {
  std::string abi_version;  // "6.1.0-52"
  std::string package;      // "linux-image-6.1.0-52-cloud-amd64" (-unsigned where there is one)
  std::string version;      // "6.1.180-1"
  std::string sha256;
};

// Every cloud-amd64 kernel of Debian suite `suite` (with its -updates and
// -security archives) whose ABI version starts with `prefix` ("" = all),
// oldest first: what a bisect over point releases walks. Packages the mirror
// refused before are left out. Each is fetched with
// fetch_debian_kernel("debian:<suite>:<abi_version>").
std::vector<DebianKernelPackage> list_debian_kernels(const std::string& suite, const std::string& prefix,
                                                     const std::string& cache_dir);

// Debian ABI version order ("6.1.0-9" < "6.1.0-10" < "6.12.117+deb13").
bool debian_version_less(const std::string& a, const std::string& b);

// The one entry point for a kernel spec as users write it (suites, --kernel,
// `kreg kernels fetch`): "" = newest Debian 6.1 cloud, "debian:..." via apt,
// "src:..." and "debian-source:..." built from source (source_kernel.hpp),
// anything else a path (bzImage, .deb, .rpm). The spec's label, if any, is
// the image's label.
KernelImage obtain_kernel(const KernelSpec& spec, const std::string& cache_dir);

// Throws KregError naming `path` unless it is a readable x86 bzImage
// (boot-protocol magic "HdrS" at offset 0x202).
void check_bzimage(const std::string& path);

}  // namespace kreg
