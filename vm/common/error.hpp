// One error type for everything a user can get wrong or the environment can
// lack. main() prints what() as a single line and exits with exit_code.
// Exit codes: 0 ok, 1 regression found (reserved for `kreg compare`),
// 2 bad input / environment / VM failure.
#pragma once

#include <stdexcept>
#include <string>

namespace kreg {

class KregError : public std::runtime_error {
 public:
  explicit KregError(const std::string& message, int exit_code = 2)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace kreg
