// The guest's end of the result channel: framed records on ttyS1 (see
// vm/record_frame.hpp). The port is put in raw mode so the tty layer never
// rewrites bytes (\n -> \r\n would break the checksums).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg::guest {

class ResultChannel {
 public:
  // Opens `device`; throws std::runtime_error if it cannot be opened.
  explicit ResultChannel(const std::string& device);
  ~ResultChannel();
  ResultChannel(const ResultChannel&) = delete;
  ResultChannel& operator=(const ResultChannel&) = delete;

  // Writes one frame completely and waits until the UART has sent it.
  void send(const std::string& type, const nlohmann::json& payload);

 private:
  int fd_ = -1;
};

}  // namespace kreg::guest
