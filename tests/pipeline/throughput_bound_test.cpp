#include "pipeline/throughput_bound.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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

namespace {

using idabus::pipeline::allocate_rates;

// When every key runs at its rate, the job ends when the slowest key ends.
double finish_seconds(const std::vector<key_load>& keys, const std::vector<double>& rates) {
  double seconds = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].needed_ru > 0) seconds = std::max(seconds, keys[i].needed_ru / rates[i]);
  }
  return seconds;
}

TEST(allocate_rates, WithoutACapOrWithSharesUnderItEveryKeyGetsItsShare) {
  const std::vector<key_load> keys{{100, 2500}, {900, 2500}};
  EXPECT_EQ(allocate_rates(keys, 0), (std::vector<double>{2500, 2500}));
  EXPECT_EQ(allocate_rates(keys, 5000), (std::vector<double>{2500, 2500}));
}

TEST(allocate_rates, UnderAContendedCapTheHotKeyKeepsItsWholeShare) {
  // Three collections of 4 ranges × 2,500 RU/s under a 10,000 RU/s job cap: an equal part of the
  // cap (833 RU/s) would hold the hot range to a third of its share.
  std::vector<key_load> keys(12, key_load{5000, 2500});
  keys[2].needed_ru = 49'000;
  const auto rates = allocate_rates(keys, 10'000);
  EXPECT_DOUBLE_EQ(rates[2], 2500);
  double sum = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    sum += rates[i];
    if (i != 2) {
      EXPECT_NEAR(rates[i], 7500.0 / 11, 1e-9);
    }
  }
  EXPECT_NEAR(sum, 10'000, 1e-9);
  EXPECT_DOUBLE_EQ(finish_seconds(keys, rates), physical_bound(keys, 10'000).min_seconds);
}

TEST(allocate_rates, WhenTheCapBoundsTheJobEveryKeyFinishesAtTheBound) {
  const std::vector<key_load> keys{{1000, 2500}, {3000, 2500}, {6000, 2500}, {0, 2500}};
  const auto rates = allocate_rates(keys, 2000);
  EXPECT_NEAR(rates[0], 200, 1e-9);
  EXPECT_NEAR(rates[1], 600, 1e-9);
  EXPECT_NEAR(rates[2], 1200, 1e-9);
  EXPECT_EQ(rates[3], 0);  // needs nothing
  EXPECT_NEAR(finish_seconds(keys, rates), physical_bound(keys, 2000).min_seconds, 1e-9);
}

TEST(allocate_rates, SeveralKeysSaturateBeforeTheRestShareWhatIsLeft) {
  const std::vector<key_load> keys{{10'000, 1000}, {8000, 1000}, {1000, 1000}, {1000, 1000}};
  const auto rates = allocate_rates(keys, 2500);
  // Both large keys reach their share; the two small ones share the 500 RU/s left equally.
  EXPECT_DOUBLE_EQ(rates[0], 1000);
  EXPECT_DOUBLE_EQ(rates[1], 1000);
  EXPECT_NEAR(rates[2], 250, 1e-9);
  EXPECT_NEAR(rates[3], 250, 1e-9);
}

TEST(allocate_rates, AnUnlimitedKeyTakesItsPartOfTheCap) {
  const std::vector<key_load> keys{{1000, 0}, {1000, 2500}};
  const auto rates = allocate_rates(keys, 1000);
  EXPECT_NEAR(rates[0], 500, 1e-9);
  EXPECT_NEAR(rates[1], 500, 1e-9);
}

TEST(allocate_rates, RejectsNegativeOrNonFiniteInputs) {
  const std::vector<key_load> bad{{-1, 10}};
  EXPECT_THROW(allocate_rates(bad, 10), std::invalid_argument);
  const std::vector<key_load> fine{{1, 10}};
  EXPECT_THROW(allocate_rates(fine, NAN), std::invalid_argument);
}

}  // namespace
