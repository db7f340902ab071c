#include "tools/importTool/document_comparison.hpp"

#include <gtest/gtest.h>

namespace idabus::import_tool {
namespace {

io::json::document_fields fields(std::optional<io::json::scalar> pk, std::optional<std::string> id) {
  io::json::document_fields f;
  f.partition_key = std::move(pk);
  f.id = std::move(id);
  return f;
}

digest128 content(std::string_view canonical) { return digest_of(canonical); }

TEST(KeyDigest, PartitionKeyTypeAndValueAndIdAllCount) {
  const auto base = key_digest(fields(std::string("1"), "a"));
  EXPECT_EQ(base, key_digest(fields(std::string("1"), "a")));
  EXPECT_NE(base, key_digest(fields(1.0, "a")));
  EXPECT_NE(base, key_digest(fields(std::string("1"), "b")));
  EXPECT_NE(base, key_digest(fields(std::nullopt, "a")));
  EXPECT_NE(key_digest(fields(std::nullopt, "a")), key_digest(fields(std::monostate{}, "a")));
  EXPECT_NE(key_digest(fields(nullptr, "a")), key_digest(fields(false, "a")));
  // The value and the id cannot trade bytes.
  EXPECT_NE(key_digest(fields(std::string("ab"), "c")), key_digest(fields(std::string("a"), "bc")));
}

TEST(KeyText, NamesPartitionKeyAndId) {
  EXPECT_EQ(key_text(fields(std::string("Person"), "p\"1")), R"(pk "Person" id "p\"1")");
  EXPECT_EQ(key_text(fields(std::nullopt, std::nullopt)), "pk (absent) id (absent)");
  EXPECT_EQ(key_text(fields(std::monostate{}, "x")), R"(pk (undefined) id "x")");
  EXPECT_EQ(key_text(fields(2.5, "x")), R"(pk 2.5 id "x")");
}

TEST(DocumentDigester, SystemPropertiesAndMemberOrderDoNotChangeTheDigest) {
  document_digester d;
  EXPECT_EQ(d.content_digest(R"({"id":"a","v":1,"_ts":5,"_rid":"x"})"), d.content_digest(R"({"v":1.0,"id":"a","_etag":"e"})"));
  EXPECT_NE(d.content_digest(R"({"id":"a","v":1})"), d.content_digest(R"({"id":"a","v":2})"));
}

TEST(ExpectedDocuments, TheLastVersionOfAKeyWins) {
  expected_documents e;
  const auto k1 = key_digest(fields(std::string("P"), "1"));
  const auto k2 = key_digest(fields(std::string("P"), "2"));
  e.add(k1, content("v1"));
  e.add(k2, content("only"));
  e.add(k1, content("v2"));
  e.add(k1, content("v3"));
  e.seal();
  EXPECT_EQ(e.versions(), 4u);
  EXPECT_EQ(e.size(), 2u);
  ASSERT_NE(e.find(k1), nullptr);
  EXPECT_EQ(e.find(k1)->content, content("v3"));
  EXPECT_EQ(e.find(k2)->content, content("only"));
  EXPECT_EQ(e.find(key_digest(fields(std::string("P"), "3"))), nullptr);
}

TEST(ExpectedDocuments, NothingExpectedFindsNothing) {
  expected_documents e;
  e.seal();
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(e.find(key_digest(fields(std::string("P"), "1"))), nullptr);
}

struct Comparison : ::testing::Test {
  void SetUp() override {
    for (int i = 0; i < 4; ++i) expected.add(key_digest(f(i)), content("c" + std::to_string(i)));
    expected.seal();
  }
  static io::json::document_fields f(int i) { return fields(std::string("P"), "d" + std::to_string(i)); }
  expected_documents expected;
};

TEST_F(Comparison, EveryDocumentOnceWithItsContentIsEqual) {
  comparison c(expected, 5);
  for (int i = 3; i >= 0; --i) c.observe(f(i), content("c" + std::to_string(i)));
  const auto n = c.counts();
  EXPECT_TRUE(n.same());
  EXPECT_EQ(n.expected, 4u);
  EXPECT_EQ(n.observed, 4u);
  EXPECT_EQ(n.equal, 4u);
  EXPECT_EQ(n.missing + n.extra + n.different + n.repeated, 0u);
}

TEST_F(Comparison, MissingExtraDifferentAndRepeatedAreCountedWithExamples) {
  comparison c(expected, 5);
  c.observe(f(0), content("c0"));
  c.observe(f(1), content("changed"));  // different
  c.observe(f(2), content("c2"));
  c.observe(f(2), content("c2"));       // read twice
  c.observe(f(9), content("c9"));       // extra; d3 missing
  const auto n = c.counts();
  EXPECT_FALSE(n.same());
  EXPECT_EQ(n.equal, 2u);
  EXPECT_EQ(n.different, 1u);
  EXPECT_EQ(n.repeated, 1u);
  EXPECT_EQ(n.extra, 1u);
  EXPECT_EQ(n.missing, 1u);
  EXPECT_EQ(c.different_examples(), std::vector<std::string>{key_text(f(1))});
  EXPECT_EQ(c.extra_examples(), std::vector<std::string>{key_text(f(9))});
  EXPECT_EQ(c.repeated_examples(), std::vector<std::string>{key_text(f(2))});
  EXPECT_EQ(c.missing_sample(), std::vector<digest128>{key_digest(f(3))});
}

TEST_F(Comparison, AnEmptyCollectionMissesEverythingAndExamplesAreBounded) {
  comparison c(expected, 2);
  EXPECT_EQ(c.counts().missing, 4u);
  EXPECT_EQ(c.missing_sample().size(), 2u);
  for (int i = 10; i < 15; ++i) c.observe(f(i), content("x"));
  EXPECT_EQ(c.counts().extra, 5u);
  EXPECT_EQ(c.extra_examples().size(), 2u);
}

}  // namespace
}  // namespace idabus::import_tool
