#include "io/cosmos/pk_ranges.hpp"

#include "io/cosmos/epk.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cosmos = idabus::io::cosmos;

TEST(GroupByRange, GroupsIndexesByTheRangeHoldingTheirEpkKeepingTheirOrder) {
  const auto ranges = cosmos::parse_partition_key_ranges(
      R"({"PartitionKeyRanges":[{"id":"1","minInclusive":"80","maxExclusive":"FF"},{"id":"0","minInclusive":"","maxExclusive":"80"}]})");
  const std::vector<std::string> epks{"05", "A0", "7F", "80", "10"};
  const std::vector<std::size_t> indexes{0, 1, 2, 3, 4};
  const auto groups = cosmos::group_by_range(ranges, epks, indexes);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.at("0"), (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(groups.at("1"), (std::vector<std::size_t>{1, 3}));
}

TEST(GroupByRange, NamesAnEpkThatNoRangeHolds) {
  const auto ranges = cosmos::parse_partition_key_ranges(
      R"({"PartitionKeyRanges":[{"id":"0","minInclusive":"","maxExclusive":"80"}]})");
  const std::vector<std::string> epks{"90"};
  const std::vector<std::size_t> indexes{0};
  EXPECT_THROW(cosmos::group_by_range(ranges, epks, indexes), std::out_of_range);
}
