#include "io/cosmos/epk.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cosmos = idabus::io::cosmos;
using key = std::vector<cosmos::pk_component>;

namespace {
std::string epk(const key& k) { return cosmos::effective_partition_key_v2(k); }
}  // namespace

// Reference §5.2 vectors (JavaScript SDK unit test).
TEST(EffectivePartitionKeyV2, MatchesSdkVectors) {
  EXPECT_EQ(epk({std::string("redmond")}), "22E342F38A486A088463DFF7838A5963");
  EXPECT_EQ(epk({std::string("")}), "32E9366E637A71B4E710384B2F4970A0");
  EXPECT_EQ(epk({5.0}), "19C08621B135968252FB34B4CF66F811");
  EXPECT_EQ(epk({nullptr}), "378867E4430E67857ACE5C908374FE16");
  EXPECT_EQ(epk({std::string("redmond"), 50.0, 5.5, true, false, nullptr, std::string(""), 12313.1221}),
            "1A5E512F591E980E07A6D8AD5BD5AB2F");
}

TEST(EffectivePartitionKeyV2, IsUpperHexWithTopBitsClearedAndEmptyForEmptyKey) {
  EXPECT_EQ(epk({}), "");
  for (int i = 0; i < 200; ++i) {
    const std::string e = epk({std::string("object-") + std::to_string(i)});
    ASSERT_EQ(e.size(), 32u);
    EXPECT_LE(e[0], '3') << e;
    EXPECT_EQ(e.find_first_not_of("0123456789ABCDEF"), std::string::npos) << e;
  }
  EXPECT_NE(epk({std::monostate{}}), epk({nullptr}));
}

TEST(Murmur3, MatchesReferenceForEmptyInputAndTailLengths) {
  const auto empty = cosmos::murmur3_x64_128("");
  EXPECT_EQ(empty.h1, 0u);
  EXPECT_EQ(empty.h2, 0u);
  // Every tail length 0..16 gives a distinct hash (all code paths taken).
  std::vector<unsigned long long> seen;
  const std::string data = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t n = 1; n <= 33; ++n) {
    const auto h = cosmos::murmur3_x64_128(std::string_view(data).substr(0, n));
    for (auto s : seen) EXPECT_NE(s, h.h1);
    seen.push_back(h.h1);
  }
}

TEST(ParsePartitionKeyHeader, ReadsEveryComponentKind) {
  EXPECT_EQ(cosmos::parse_partition_key_header(R"(["a"])"), (key{std::string("a")}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[5]"), (key{5.0}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[5.5]"), (key{5.5}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[true]"), (key{true}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[false]"), (key{false}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[null]"), (key{nullptr}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[{}]"), (key{std::monostate{}}));
  EXPECT_EQ(cosmos::parse_partition_key_header("[]"), (key{}));
  EXPECT_EQ(cosmos::parse_partition_key_header(R"(["a", 1, null])"), (key{std::string("a"), 1.0, nullptr}));
  EXPECT_EQ(cosmos::parse_partition_key_header(R"(["caf\u00e9"])"), (key{std::string("caf\xc3\xa9")}));
}

TEST(ParsePartitionKeyHeader, RejectsWhatIsNotAnArrayOfScalars) {
  EXPECT_FALSE(cosmos::parse_partition_key_header(R"("a")"));
  EXPECT_FALSE(cosmos::parse_partition_key_header(R"([["a"]])"));
  EXPECT_FALSE(cosmos::parse_partition_key_header(R"([{"a":1}])"));
  EXPECT_FALSE(cosmos::parse_partition_key_header(R"(["a")"));
  EXPECT_FALSE(cosmos::parse_partition_key_header(""));
}

TEST(PartitionKeyHeader, WritesAsciiJsonThatParsesBack) {
  EXPECT_EQ(cosmos::partition_key_header(key{std::string("Person")}), R"(["Person"])");
  EXPECT_EQ(cosmos::partition_key_header(key{5.0}), "[5]");
  EXPECT_EQ(cosmos::partition_key_header(key{5.5, true, false, nullptr, std::monostate{}}), "[5.5,true,false,null,{}]");
  EXPECT_EQ(cosmos::partition_key_header(key{}), "[]");
  EXPECT_EQ(cosmos::partition_key_header(key{std::string("a\"b\\c\n")}), R"(["a\"b\\c\u000a"])");
  // é (2 bytes), € (3 bytes), 😀 (4 bytes → surrogate pair)
  const key unicode{std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")};
  const std::string header = cosmos::partition_key_header(unicode);
  EXPECT_EQ(header, R"(["\u00e9\u20ac\ud83d\ude00"])");
  EXPECT_EQ(cosmos::parse_partition_key_header(header), unicode);
}

TEST(EpkInRange, UsesHalfOpenRangesAndFfAsTheEnd) {
  const std::string e = epk({std::string("redmond")});  // 22E3...
  EXPECT_TRUE(cosmos::epk_in_range(e, "", "FF"));
  EXPECT_TRUE(cosmos::epk_in_range(e, "", "3F"));
  EXPECT_FALSE(cosmos::epk_in_range(e, "", "22E342F38A486A088463DFF7838A5963"));
  EXPECT_TRUE(cosmos::epk_in_range(e, "22E342F38A486A088463DFF7838A5963", "FF"));
  EXPECT_FALSE(cosmos::epk_in_range(e, "3F", "FF"));
  EXPECT_TRUE(cosmos::epk_in_range("", "", "05C1CFFFFFFFF8"));
}
