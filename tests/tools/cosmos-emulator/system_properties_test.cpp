#include "tools/cosmos-emulator/system_properties.hpp"

#include <gtest/gtest.h>

namespace idabus::emulator {
namespace {

const system_properties props{"RID", "dbs/a/colls/b/docs/RID/", "\"e-1\"", 1700000000};
const std::string suffix =
    R"("_rid":"RID","_self":"dbs/a/colls/b/docs/RID/","_etag":"\"e-1\"","_attachments":"attachments/","_ts":1700000000})";

TEST(ScanMembers, FindsTopLevelMembersOnly) {
  const std::string doc = R"( { "a" : {"x":[1,"}"]}, "b":"q\"}" ,"c":-1.50e3 } )";
  auto ms = scan_members(doc);
  ASSERT_TRUE(ms);
  ASSERT_EQ(ms->size(), 3u);
  EXPECT_EQ((*ms)[0].key(doc), "a");
  EXPECT_EQ((*ms)[0].value(doc), R"({"x":[1,"}"]})");
  EXPECT_EQ((*ms)[1].value(doc), R"("q\"}")");
  EXPECT_EQ((*ms)[2].value(doc), "-1.50e3");
}

TEST(ScanMembers, RejectsNonObjects) {
  EXPECT_FALSE(scan_members("[1,2]"));
  EXPECT_FALSE(scan_members("\"s\""));
  EXPECT_FALSE(scan_members("{\"a\":1"));
  EXPECT_TRUE(scan_members("{}"));
}

TEST(SpliceSystemProperties, KeepsClientBytesAndAppendsProperties) {
  const std::string doc = R"({"id":"x", "n":1.0e0,"s":"\u00e9\n"})";
  auto out = splice_system_properties(doc, props);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"id":"x", "n":1.0e0,"s":"\u00e9\n",)" + suffix);
}

TEST(SpliceSystemProperties, ReplacesClientSuppliedSystemProperties) {
  const std::string doc = R"({"_rid":"old","id":"x","_ts":5, "k":[1,2] ,"_etag":"zz","_self":"s","_attachments":"a"})";
  auto out = splice_system_properties(doc, props);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"id":"x", "k":[1,2],)" + suffix);
}

TEST(SpliceSystemProperties, LeavesPaddingCapacity) {
  auto out = splice_system_properties(R"({"id":"x"})", props, 64);
  ASSERT_TRUE(out);
  EXPECT_GE(out->capacity(), out->size() + 64);
}

TEST(SpliceSystemProperties, NestedSystemNamesAreNotTouched) {
  auto out = splice_system_properties(R"({"id":"x","inner":{"_ts":1}})", props);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"id":"x","inner":{"_ts":1},)" + suffix);
}

TEST(Etag, IsQuotedAndUniquePerSequence) {
  const auto a = make_etag(1), b = make_etag(2);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.front(), '"');
  EXPECT_EQ(a.back(), '"');
  EXPECT_EQ(a.size(), 38u);
}

TEST(Rids, HaveCosmosLengthsAndNoSlash) {
  EXPECT_EQ(database_rid(1).size(), 8u);
  EXPECT_EQ(collection_rid(1, 2).size(), 12u);
  EXPECT_EQ(document_rid(1, 2, 3).size(), 24u);
  EXPECT_NE(document_rid(1, 2, 3), document_rid(1, 2, 4));
  for (std::uint64_t i = 0; i < 300; ++i) EXPECT_EQ(document_rid(0xFFFFFFFF, 0xFFFFFFF, i * 977).find('/'), std::string::npos);
}

TEST(JsonQuote, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
}

}  // namespace
}  // namespace idabus::emulator
