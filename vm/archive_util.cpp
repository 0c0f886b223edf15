#include "vm/archive_util.hpp"

namespace kreg {

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

std::string normalise_member_path(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") throw std::invalid_argument("unsafe member path containing '..'");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace kreg
