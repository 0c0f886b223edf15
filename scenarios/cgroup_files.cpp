#include "scenarios/cgroup_files.hpp"

#include <stdexcept>

namespace kreg {

std::optional<std::string> cgroup_file(const std::string& v2_name, const std::string& mode) {
  for (const CgroupFile& f : kCgroupFiles) {
    if (v2_name != f.v2) continue;
    if (mode == "v2") return std::string(f.v2);
    if (f.v1) return std::string(f.v1);
    return std::nullopt;
  }
  throw std::invalid_argument("cgroup file " + v2_name + " is not in scenarios/cgroup_files.hpp's table");
}

}  // namespace kreg
