#include "vm/guest/result_channel.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "vm/channel/record_frame.hpp"

namespace kreg::guest {

ResultChannel::ResultChannel(const std::string& device) {
  fd_ = open(device.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open result channel " + device + ": " + std::strerror(errno));
  termios tio;
  if (tcgetattr(fd_, &tio) == 0) {
    cfmakeraw(&tio);
    cfsetospeed(&tio, B115200);
    tcsetattr(fd_, TCSANOW, &tio);
  }
}

ResultChannel::~ResultChannel() {
  if (fd_ >= 0) close(fd_);
}

void ResultChannel::send(const std::string& type, const nlohmann::json& payload) {
  // error_handler::replace: a stray non-UTF-8 byte from a kernel file must not
  // lose the whole record.
  std::string frame = encode_frame(Frame{type, payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  const char* p = frame.data();
  size_t left = frame.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("result channel write failed: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  tcdrain(fd_);
}

}  // namespace kreg::guest
