#include "vm/channel/record_frame.hpp"

#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace kreg {

namespace {
constexpr std::string_view kMagic = "@KREG1 ";

bool has_space_or_newline(std::string_view s) { return s.find_first_of(" \t\r\n") != std::string_view::npos; }

// Splits off the next space-terminated token from `rest`.
bool next_token(std::string_view& rest, std::string_view& token) {
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) return false;
  token = rest.substr(0, sp);
  rest.remove_prefix(sp + 1);
  return !token.empty();
}
}  // namespace

uint32_t crc32_of(std::string_view data) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string encode_frame(const Frame& frame) {
  if (frame.type.empty() || has_space_or_newline(frame.type))
    throw std::invalid_argument("frame type must be one non-empty word");
  if (frame.payload.find('\n') != std::string::npos)
    throw std::invalid_argument("frame payload must not contain a newline");
  char head[64];
  std::snprintf(head, sizeof head, " %zu %08x ", frame.payload.size(), crc32_of(frame.payload));
  std::string out;
  out.reserve(kMagic.size() + frame.type.size() + sizeof head + frame.payload.size() + 1);
  out.append(kMagic).append(frame.type).append(head).append(frame.payload).push_back('\n');
  return out;
}

void FrameDecoder::feed(std::string_view bytes) {
  partial_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
    decode_line(std::string_view(partial_).substr(start, nl - start));
  partial_.erase(0, start);
}

std::vector<Frame> FrameDecoder::take() {
  std::vector<Frame> out;
  out.swap(ready_);
  return out;
}

void FrameDecoder::decode_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a cooked tty adds \r
  size_t at = line.find(kMagic);
  if (at == std::string_view::npos) return;  // not a frame: console noise, ignored
  std::string_view rest = line.substr(at + kMagic.size());
  std::string_view type, len_text, crc_text;
  size_t length = 0;
  uint32_t crc = 0;
  std::string why;
  if (!(next_token(rest, type) && next_token(rest, len_text) && next_token(rest, crc_text) &&
        std::from_chars(len_text.data(), len_text.data() + len_text.size(), length).ec == std::errc{} &&
        std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), crc, 16).ec == std::errc{}))
    why = "a frame with a malformed header";
  else if (rest.size() != length)
    why = "a '" + std::string(type) + "' frame of " + std::to_string(rest.size()) + " bytes whose header says " +
          std::to_string(length);
  else if (uint32_t actual = crc32_of(rest); actual != crc) {
    char detail[64];
    std::snprintf(detail, sizeof detail, " (header %08x, payload %08x)", crc, actual);
    why =
        "a '" + std::string(type) + "' frame of " + std::to_string(length) + " bytes failed its CRC-32 check" + detail;
  }
  if (!why.empty()) {
    ++corrupt_;
    if (first_rejection_.empty()) first_rejection_ = why;
    return;
  }
  ready_.push_back(Frame{std::string(type), std::string(rest)});
}

}  // namespace kreg
