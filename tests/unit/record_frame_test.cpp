// The result channel must deliver exactly what the guest sent, or nothing.
#include <gtest/gtest.h>

#include "vm/channel/record_frame.hpp"

namespace kreg {
namespace {

std::string payload_of_size(size_t n) {
  std::string s = "{\"x\":\"";
  while (s.size() + 2 < n) s.push_back('a' + static_cast<char>(s.size() % 26));
  return s + "\"}";
}

TEST(RecordFrame, RoundTripsManyFramesFedByteByByte) {
  std::string stream;
  for (int i = 0; i < 5; ++i) stream += encode_frame({"job", payload_of_size(100 + 1000 * i)});
  FrameDecoder d;
  for (char c : stream) d.feed(std::string_view(&c, 1));
  auto frames = d.take();
  ASSERT_EQ(frames.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(frames[i].payload, payload_of_size(100 + 1000 * i));
  EXPECT_EQ(d.corrupt(), 0u);
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(RecordFrame, IgnoresConsoleNoiseAndToleratesCrLf) {
  std::string frame = encode_frame({"hello", "{\"a\":1}"});
  frame.insert(frame.size() - 1, "\r");  // a cooked tty turns \n into \r\n
  FrameDecoder d;
  d.feed("[    1.23] random kernel line\n" + frame + "more noise\n");
  auto frames = d.take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, "hello");
  EXPECT_EQ(frames[0].payload, "{\"a\":1}");
  EXPECT_EQ(d.corrupt(), 0u);
}

TEST(RecordFrame, FlippedByteIsCountedCorruptAndDropped) {
  std::string frame = encode_frame({"job", "{\"dying\":2000}"});
  frame[frame.size() - 4] ^= 0x01;  // inside the payload
  FrameDecoder d;
  d.feed(frame);
  d.feed(encode_frame({"done", "{}"}));
  auto frames = d.take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, "done");
  EXPECT_EQ(d.corrupt(), 1u);
  EXPECT_EQ(d.first_rejection().rfind("a 'job' frame of 14 bytes failed its CRC-32 check (header ", 0), 0u)
      << d.first_rejection();
}

TEST(RecordFrame, TruncatedFrameIsCorruptNotAccepted) {
  std::string frame = encode_frame({"job", payload_of_size(500)});
  std::string cut = frame.substr(0, frame.size() / 2) + "\n";  // a VM died mid-write
  FrameDecoder d;
  d.feed(cut);
  EXPECT_TRUE(d.take().empty());
  EXPECT_EQ(d.corrupt(), 1u);
  EXPECT_NE(d.first_rejection().find("whose header says 500"), std::string::npos) << d.first_rejection();
}

TEST(RecordFrame, BadHeaderFieldsAreCorrupt) {
  FrameDecoder d;
  d.feed("@KREG1 job notanumber 00000000 {}\n");
  d.feed("@KREG1 job 2 zzzzzzzz {}\n");
  d.feed("@KREG1 job 3 00000000 {}\n");  // wrong length
  EXPECT_TRUE(d.take().empty());
  EXPECT_EQ(d.corrupt(), 3u);
  EXPECT_EQ(d.first_rejection(), "a frame with a malformed header");
}

TEST(RecordFrame, PartialLineWaitsForItsNewline) {
  std::string frame = encode_frame({"job", "{}"});
  FrameDecoder d;
  d.feed(frame.substr(0, 10));
  EXPECT_TRUE(d.take().empty());
  EXPECT_EQ(d.pending_bytes(), 10u);
  d.feed(frame.substr(10));
  EXPECT_EQ(d.take().size(), 1u);
}

TEST(RecordFrame, EncoderRejectsWhatWouldBreakFraming) {
  EXPECT_THROW(encode_frame({"", "{}"}), std::invalid_argument);
  EXPECT_THROW(encode_frame({"two words", "{}"}), std::invalid_argument);
  EXPECT_THROW(encode_frame({"job", "{\n}"}), std::invalid_argument);
}

TEST(RecordFrame, Crc32MatchesKnownVector) {
  EXPECT_EQ(crc32_of("123456789"), 0xCBF43926u);  // the standard CRC-32 check value
}

}  // namespace
}  // namespace kreg
