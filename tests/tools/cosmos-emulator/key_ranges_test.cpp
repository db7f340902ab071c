#include "tools/cosmos-emulator/key_ranges.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idabus::emulator {
namespace {

using io::cosmos::pk_component;

TEST(KeyRanges, OuterBoundariesAreEmptyAndFF) {
  EXPECT_EQ(range_boundary(0, 4), "");
  EXPECT_EQ(range_boundary(4, 4), "FF");
  EXPECT_EQ(range_boundary(0, 1), "");
  EXPECT_EQ(range_boundary(1, 1), "FF");
}

TEST(KeyRanges, InteriorBoundariesSplitTheV2HashSpaceEvenly) {
  // v2 hashes lie in [00.., 40..): four ranges step by 10.. each.
  EXPECT_EQ(range_boundary(1, 4), "1000000000000000");
  EXPECT_EQ(range_boundary(2, 4), "2000000000000000");
  EXPECT_EQ(range_boundary(3, 4), "3000000000000000");
  EXPECT_EQ(range_boundary(1, 2), "2000000000000000");
}

TEST(KeyRanges, EachEpkFallsInTheRangeWhoseBoundariesHoldIt) {
  for (std::uint32_t n : {1u, 3u, 4u, 7u}) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::string lower = range_boundary(i, n);
      if (!lower.empty()) {
        EXPECT_EQ(range_of(lower, n), i) << "lower boundary of " << i << " of " << n;
      }
    }
  }
  EXPECT_EQ(range_of("0FFFFFFFFFFFFFFF", 4), 0u);
  EXPECT_EQ(range_of("1000000000000000", 4), 1u);
  EXPECT_EQ(range_of("3FFFFFFFFFFFFFFFAB", 4), 3u);
  EXPECT_EQ(range_of("", 4), 0u);
}

TEST(KeyRanges, LowercaseHexRoutesLikeUppercase) {
  EXPECT_EQ(range_of("2abcdef012345678", 4), range_of("2ABCDEF012345678", 4));
}

TEST(KeyRanges, EpksAboveTheV2SpaceGoToTheLastRange) { EXPECT_EQ(range_of("FF", 4), 3u); }

TEST(PartitionKeyEncoding, EqualValuesEncodeEquallyAndMinusZeroIsZero) {
  EXPECT_EQ(encode_partition_key({pk_component{0.0}}), encode_partition_key({pk_component{-0.0}}));
  EXPECT_EQ(encode_partition_key({pk_component{std::string("a")}}),
            encode_partition_key({pk_component{std::string("a")}}));
}

TEST(PartitionKeyEncoding, DifferentTypesAndValuesEncodeDifferently) {
  const std::vector<std::vector<pk_component>> keys = {
      {pk_component{}},       {pk_component{nullptr}},          {pk_component{true}},
      {pk_component{false}},  {pk_component{1.0}},              {pk_component{std::string("1")}},
      {pk_component{std::string("")}}, {pk_component{std::string("true")}},
  };
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      EXPECT_NE(encode_partition_key(keys[i]), encode_partition_key(keys[j])) << i << " vs " << j;
    }
  }
}

}  // namespace
}  // namespace idabus::emulator
