#include "vm/common/text_file.hpp"

#include <fstream>
#include <iterator>

namespace kreg {

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace kreg
