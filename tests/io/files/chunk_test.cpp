#include "io/files/chunk.hpp"

#include "io/files/atomic_file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <zstd.h>

#include <string>
#include <vector>

namespace idabus::io::files {
namespace {

const std::string lines_text =
    "{\"id\":\"a\",\"n\":1.50,\"s\":\"Zo\\u00eb\\n\",\"_ts\":17}\n"
    "{\"id\":\"b\",\"x\":[1,2,3],\"_ts\":18}\n"
    "{\"id\":\"\xe7\x8e\x8b\",\"_ts\":19}\n";

std::string independent_sha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (auto b : digest) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

TEST(Chunk, EncodesOneFrameWithChecksumThatPlainZstdDecompresses) {
  chunk_encoder encoder(3);
  const auto chunk = encoder.encode(lines_text);
  EXPECT_EQ(chunk.sha256, independent_sha256(chunk.bytes));
  EXPECT_EQ(ZSTD_findFrameCompressedSize(chunk.bytes.data(), chunk.bytes.size()), chunk.bytes.size());
  EXPECT_EQ(ZSTD_getFrameContentSize(chunk.bytes.data(), chunk.bytes.size()), lines_text.size());
  EXPECT_NE(static_cast<unsigned char>(chunk.bytes[4]) & 0x04, 0) << "content checksum flag";
  std::string out(lines_text.size(), '\0');
  const auto n = ZSTD_decompress(out.data(), out.size(), chunk.bytes.data(), chunk.bytes.size());
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  EXPECT_EQ(out, lines_text);
}

TEST(Chunk, EncoderIsReusedForManyChunks) {
  chunk_encoder encoder(1);
  chunk_decoder decoder;
  for (int i = 0; i < 5; ++i) {
    const std::string raw = std::string(1000 * (i + 1), static_cast<char>('a' + i)) + "\n";
    EXPECT_EQ(decoder.decode(encoder.encode(raw).bytes), raw);
  }
}

TEST(Chunk, DecodeIntoReplacesWhateverTheBufferHeld) {
  chunk_encoder encoder(1);
  chunk_decoder decoder;
  std::string buffer(5000, 'x');
  decoder.decode_into(encoder.encode("short\n").bytes, buffer);
  EXPECT_EQ(buffer, "short\n");
  const std::string longer(20000, 'y');
  decoder.decode_into(encoder.encode(longer).bytes, buffer);
  EXPECT_EQ(buffer, longer);
}

TEST(Chunk, DecodeIntoGrowsABufferToTheChunksSizeNotTwiceItsCapacity) {
  chunk_encoder encoder(1);
  chunk_decoder decoder;
  std::string buffer;
  buffer.reserve(3 << 19);                          // 1.5 MiB
  const std::string larger((3 << 19) + 1000, 'z');  // rounded up to 2 MiB; doubled it would be 3 MiB
  decoder.decode_into(encoder.encode(larger).bytes, buffer);
  EXPECT_EQ(buffer, larger);
  EXPECT_EQ(buffer.capacity(), 2u << 20);
  const auto capacity = buffer.capacity();
  decoder.decode_into(encoder.encode(std::string((3 << 19) + 5000, 'w')).bytes, buffer);
  EXPECT_EQ(buffer.capacity(), capacity) << "a smaller chunk reuses the buffer";
}

TEST(Chunk, EmptyChunkRoundTrips) {
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  EXPECT_EQ(decoder.decode(encoder.encode("").bytes), "");
}

TEST(Chunk, RejectsAnOutOfRangeLevel) {
  EXPECT_THROW(chunk_encoder(0), std::invalid_argument);
  EXPECT_THROW(chunk_encoder(ZSTD_maxCLevel() + 1), std::invalid_argument);
}

TEST(Chunk, ReadsAFileAndVerifiesItsSha256) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  const auto chunk = encoder.encode(lines_text);
  const auto path = (dir.path / chunk_file_name(1)).string();
  write_file_atomically(path, chunk.bytes);
  chunk_decoder decoder;
  EXPECT_EQ(decoder.read(path, chunk.sha256), lines_text);
  EXPECT_EQ(decoder.read(path), lines_text);
}

TEST(Chunk, CorruptByteIsASha256MismatchNamingTheFile) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  const auto chunk = encoder.encode(lines_text);
  auto bytes = chunk.bytes;
  bytes[bytes.size() / 2] ^= 0x01;
  const auto path = (dir.path / "000007.jsonl.zst").string();
  write_file_atomically(path, bytes);
  chunk_decoder decoder;
  try {
    decoder.read(path, chunk.sha256);
    FAIL() << "expected chunk_error";
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::sha256_mismatch);
    EXPECT_NE(std::string(e.what()).find("000007.jsonl.zst"), std::string::npos) << e.what();
  }
}

TEST(Chunk, CorruptContentFailsTheFrameChecksumWithoutAnExpectedHash) {
  chunk_encoder encoder(3);
  // Incompressible-ish content so a flipped byte in the middle lands in literal data.
  std::string raw;
  std::uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 4000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    raw.push_back(static_cast<char>('a' + x % 26));
  }
  auto bytes = encoder.encode(raw).bytes;
  bytes[bytes.size() / 2] ^= 0x20;
  chunk_decoder decoder;
  try {
    decoder.decode(bytes, "Resources/000002.jsonl.zst");
    FAIL() << "expected chunk_error";
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::corrupt);
    EXPECT_NE(std::string(e.what()).find("Resources/000002.jsonl.zst"), std::string::npos) << e.what();
  }
}

TEST(Chunk, TruncatedOrTrailingBytesAreNotOneFrame) {
  chunk_encoder encoder(3);
  const auto bytes = encoder.encode(lines_text).bytes;
  chunk_decoder decoder;
  try {
    decoder.decode(bytes.substr(0, bytes.size() - 3));
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::not_one_frame);
  }
  try {
    decoder.decode(bytes + bytes);  // two frames
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::not_one_frame);
  }
  try {
    decoder.decode("not zstd at all");
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::not_one_frame);
  }
}

TEST(Chunk, FrameWithoutChecksumIsRejected) {
  std::string frame(ZSTD_compressBound(lines_text.size()), '\0');
  const auto n = ZSTD_compress(frame.data(), frame.size(), lines_text.data(), lines_text.size(), 3);  // no checksum
  ASSERT_FALSE(ZSTD_isError(n));
  frame.resize(n);
  chunk_decoder decoder;
  try {
    decoder.decode(frame);
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::no_checksum);
  }
}

TEST(Chunk, MissingFileIsMissing) {
  test::temp_dir dir;
  chunk_decoder decoder;
  try {
    decoder.read((dir.path / "000001.jsonl.zst").string());
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::missing);
  }
}

TEST(Chunk, FileNamesAreSixDigitSequenceNumbers) {
  EXPECT_EQ(chunk_file_name(1), "000001.jsonl.zst");
  EXPECT_EQ(chunk_file_name(123456), "123456.jsonl.zst");
}

TEST(Chunk, IncrementalSha256MatchesOneShot) {
  sha256_hasher h;
  h.update("abc");
  h.update("def");
  EXPECT_EQ(h.finish(), independent_sha256("abcdef"));
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

std::vector<std::string> all_lines(std::string_view text) {
  std::vector<std::string> out;
  for (auto line : json_lines(text)) out.emplace_back(line);
  return out;
}

TEST(JsonLines, IteratesLinesAsViewsIntoTheText) {
  const auto lines = all_lines(lines_text);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "{\"id\":\"a\",\"n\":1.50,\"s\":\"Zo\\u00eb\\n\",\"_ts\":17}");
  EXPECT_EQ(lines[2], "{\"id\":\"\xe7\x8e\x8b\",\"_ts\":19}");
  const std::string_view text = lines_text;
  EXPECT_EQ((*json_lines(text).begin()).data(), text.data());
}

TEST(JsonLines, EmptyTextHasNoLinesAndALastLineNeedsNoNewline) {
  EXPECT_TRUE(all_lines("").empty());
  EXPECT_EQ(all_lines("a\nb"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(all_lines("a\n\nb\n"), (std::vector<std::string>{"a", "", "b"}));
}

}  // namespace
}  // namespace idabus::io::files
