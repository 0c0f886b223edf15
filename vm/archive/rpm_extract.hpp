// Extracts files from an RPM package (RHEL, CentOS, Fedora) with libarchive,
// without rpm2cpio or rpm and without touching the host's /boot: libarchive's
// "rpm" filter skips the lead and headers, the payload is a compressed cpio.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace kreg {

// Called for every member path of the payload (normalised: no leading "./"
// or "/", no trailing '/'; device nodes are not offered); return the
// destination path on the host to extract it, or "" to skip it.
using RpmPathMapper = std::function<std::string(const std::string& member_path)>;

struct RpmExtractResult {
  std::vector<std::string> written;  // host paths written
};

// Throws KregError naming the .rpm and the cause when it is not a valid
// package (no RPM lead, a payload compression this libarchive cannot read,
// truncated or corrupt payload).
RpmExtractResult extract_rpm(const std::string& rpm_path, const RpmPathMapper& mapper);

// Tags of the main header: NAME, VERSION, RELEASE, ARCH, PAYLOADCOMPRESSOR.
struct RpmHeader {
  std::string name, version, release, arch, payload_compressor;
};
RpmHeader read_rpm_header(const std::string& rpm_path);

}  // namespace kreg
