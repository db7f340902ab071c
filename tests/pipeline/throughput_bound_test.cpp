#include "pipeline/throughput_bound.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace {

using idabus::pipeline::key_load;
using idabus::pipeline::physical_bound;
using idabus::pipeline::throughput_bound;
using idabus::pipeline::utilization;

TEST(throughput_bound, EvenLoadOverEvenSharesReachesTheSumOfTheShares) {
  const std::vector<key_load> keys(4, key_load{2500, 2500});
  const auto b = physical_bound(keys);
  EXPECT_DOUBLE_EQ(b.total_ru, 10'000);
  EXPECT_DOUBLE_EQ(b.min_seconds, 1);
  EXPECT_DOUBLE_EQ(b.achievable_ru_per_second, 10'000);
}

TEST(throughput_bound, TheHottestKeyBoundsTheWholeJob) {
  // 10,000 RU/s split over 4 ranges; one range carries 60 % of the job's 60,000 RU.
  const std::vector<key_load> keys{{8000, 2500}, {36'000, 2500}, {8000, 2500}, {8000, 2500}};
  const auto b = physical_bound(keys);
  EXPECT_DOUBLE_EQ(b.min_seconds, 36'000.0 / 2500);  // 14.4 s, not 6 s
  EXPECT_DOUBLE_EQ(b.achievable_ru_per_second, 60'000 / 14.4);
  EXPECT_EQ(b.limiting, 1u);
}

TEST(throughput_bound, ACapBelowWhatTheKeysAllowBoundsTheJob) {
  const std::vector<key_load> keys(4, key_load{2500, 2500});
  const auto b = physical_bound(keys, 5000);
  EXPECT_DOUBLE_EQ(b.min_seconds, 2);
  EXPECT_DOUBLE_EQ(b.achievable_ru_per_second, 5000);
  EXPECT_EQ(b.limiting, throughput_bound::cap_limited);
}

TEST(throughput_bound, ACapAboveTheHotKeysBoundChangesNothing) {
  const std::vector<key_load> keys{{1000, 1000}, {3000, 1000}};
  const auto b = physical_bound(keys, 10'000);
  EXPECT_DOUBLE_EQ(b.min_seconds, 3);
  EXPECT_EQ(b.limiting, 1u);
}

TEST(throughput_bound, UnlimitedKeysAreBoundOnlyByTheCap) {
  const std::vector<key_load> keys{{1000, 0}, {3000, 0}};
  EXPECT_TRUE(std::isinf(physical_bound(keys).achievable_ru_per_second));
  EXPECT_DOUBLE_EQ(physical_bound(keys, 2000).min_seconds, 2);
  EXPECT_DOUBLE_EQ(physical_bound({}).achievable_ru_per_second, 0);
}

TEST(throughput_bound, UtilizationIsTheBoundOverTheElapsedTime) {
  const std::vector<key_load> keys{{1000, 1000}, {3000, 1000}};
  EXPECT_DOUBLE_EQ(utilization(physical_bound(keys), 4), 0.75);
  EXPECT_THROW(utilization(physical_bound(keys), 0), std::invalid_argument);
}

TEST(throughput_bound, RejectsNegativeOrNonFiniteInputs) {
  const std::vector<key_load> negative{{-1, 1000}};
  EXPECT_THROW(physical_bound(negative), std::invalid_argument);
  const std::vector<key_load> infinite{{1, INFINITY}};
  EXPECT_THROW(physical_bound(infinite), std::invalid_argument);
  EXPECT_THROW(physical_bound({}, -5), std::invalid_argument);
}

}  // namespace
