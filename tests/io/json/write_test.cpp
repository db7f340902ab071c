#include "io/json/write.hpp"

#include <gtest/gtest.h>

#include <simdjson.h>

namespace idabus::io::json {
namespace {

TEST(JsonWrite, QuotesPlainText) { EXPECT_EQ(json_quote("Person"), "\"Person\""); }

TEST(JsonWrite, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quote("l1\nl2\tx\r\b\f"), R"("l1\nl2\tx\r\b\f")");
  EXPECT_EQ(json_quote(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
}

TEST(JsonWrite, PassesUtf8Through) { EXPECT_EQ(json_quote("Zoë 王芳"), "\"Zoë 王芳\""); }

TEST(JsonWrite, AppendsToExistingText) {
  std::string out = "{\"id\":";
  append_json_string(out, "x");
  EXPECT_EQ(out, "{\"id\":\"x\"");
}

TEST(JsonWrite, RoundTripsThroughAParser) {
  std::string original;
  for (int c = 0; c < 128; ++c) original.push_back(static_cast<char>(c));
  original += "ÄÖÜ€𝄞";
  simdjson::dom::parser parser;
  std::string_view parsed;
  ASSERT_EQ(parser.parse(json_quote(original)).get(parsed), simdjson::SUCCESS);
  EXPECT_EQ(parsed, original);
}

}  // namespace
}  // namespace idabus::io::json
