// SHA-256 as lowercase hex: the identity of every cached input (packages,
// tarballs, patches, configs, trees).
#pragma once

#include <string>
#include <string_view>

namespace kreg {

// Of a file's bytes; throws KregError naming the path if it is unreadable.
std::string sha256_file(const std::string& path);

// Of a string's bytes.
std::string sha256_text(std::string_view text);

// Incremental hashing, for inputs made of many parts (a source tree).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex();  // finishes; the object is spent afterwards

 private:
  struct State;
  State* state_;
};

}  // namespace kreg
