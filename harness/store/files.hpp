// Small file helpers shared by the commands that read and assemble run
// directories (merge, submit): whole-file reads and hard-link-or-copy.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

// The file's JSON, or a discarded value (is_discarded()) when it is absent or not JSON.
nlohmann::json read_json_file(const std::string& path);

// The file's bytes ("" when it cannot be read).
std::string file_bytes(const std::string& path);

// dst <- src without copying bytes when they share a file system (a hard
// link), else a copy; atomic through dst.tmp.
void link_or_copy(const std::string& src, const std::string& dst);

}  // namespace kreg
