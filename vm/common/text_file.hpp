// A whole file as a string: kernel configs, build records, logs, /proc files.
#pragma once

#include <string>

namespace kreg {

// The file's bytes; "" when it is missing or unreadable (callers that need
// the difference check for the file first).
std::string read_file_or_empty(const std::string& path);

}  // namespace kreg
