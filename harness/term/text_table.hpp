// Plain-text tables for the terminal: columns padded to their widest cell,
// two spaces apart, the last column left ragged.
#pragma once

#include <string>
#include <vector>

namespace kreg {

// One line per row, each ending in '\n'.
std::string format_columns(const std::vector<std::vector<std::string>>& rows);

}  // namespace kreg
