// The guest→host result channel: framed, checksummed records on ttyS1.
//
// A frame is one text line, so that it survives a tty even if raw mode is lost:
//   @KREG1 <type> <payload-length> <crc32-hex8> <payload>\n
// The payload is compact JSON (no newlines). The host verifies length and
// CRC-32 (zlib) and drops anything else, counting what it dropped, so console
// noise or a half-written frame from a dying VM never becomes a result.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kreg {

struct Frame {
  std::string type;     // "hello", "progress", "job", "done", "error"
  std::string payload;  // compact JSON text
};

// Encodes one frame including its trailing newline. Throws std::invalid_argument
// if type is empty or contains whitespace, or payload contains a newline.
std::string encode_frame(const Frame& frame);

// Incremental decoder: feed bytes as they arrive; complete, verified frames
// come out in order. Partial lines are kept until their newline arrives.
class FrameDecoder {
 public:
  void feed(std::string_view bytes);
  std::vector<Frame> take();                   // frames decoded so far
  size_t corrupt() const { return corrupt_; }  // frames that failed verification
  // Why the first of them was rejected, e.g. "a 'job' frame of 812 bytes
  // failed its CRC-32 check (header 1c2d3e4f, payload 0a1b2c3d)"; "" if none.
  const std::string& first_rejection() const { return first_rejection_; }
  size_t pending_bytes() const { return partial_.size(); }

 private:
  void decode_line(std::string_view line);
  std::string partial_;
  std::vector<Frame> ready_;
  size_t corrupt_ = 0;
  std::string first_rejection_;
};

uint32_t crc32_of(std::string_view data);

}  // namespace kreg
