#include "io/cosmos/base64.hpp"

#include <gtest/gtest.h>

namespace cosmos = idabus::io::cosmos;

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(cosmos::base64_encode(""), "");
  EXPECT_EQ(cosmos::base64_encode("f"), "Zg==");
  EXPECT_EQ(cosmos::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(cosmos::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(cosmos::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(cosmos::base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64, DecodesWhatItEncodes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n < bytes.size(); n += 37) {
    const std::string part = bytes.substr(0, n);
    EXPECT_EQ(cosmos::base64_decode(cosmos::base64_encode(part)), part) << n;
  }
}

TEST(Base64, DecodesTheEmulatorKeyTo64Bytes) {
  auto key = cosmos::base64_decode(
      "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 64u);
}

TEST(Base64, ReportsGarbageAsNulloptInsteadOfThrowing) {
  EXPECT_FALSE(cosmos::base64_decode("Zm9v!"));
  EXPECT_FALSE(cosmos::base64_decode("Z"));
  EXPECT_FALSE(cosmos::base64_decode("Zm 9v"));
  EXPECT_FALSE(cosmos::base64_decode("Zg=a"));
  EXPECT_FALSE(cosmos::base64_decode("Zh=="));  // non-zero leftover bits
  EXPECT_FALSE(cosmos::base64_decode("Zm9v="));
}
