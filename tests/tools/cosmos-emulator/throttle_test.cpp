#include "tools/cosmos-emulator/throttle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;
using clock = token_bucket::clock;

TEST(TokenBucket, AdmitsWhileBudgetRemains) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  EXPECT_FALSE(b.admit(t0));
  b.consume(60, t0);
  EXPECT_FALSE(b.admit(t0));
}

TEST(TokenBucket, ThrottlesWhenOverBudgetWithRetryAfterUntilPositive) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  b.consume(150, t0);  // balance -50 at 100 RU/s -> positive again after 500 ms
  auto wait = b.admit(t0);
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, 500ms);
  EXPECT_LE(*wait, 502ms);
  EXPECT_TRUE(b.admit(t0 + 400ms));
  EXPECT_FALSE(b.admit(t0 + *wait));
}

TEST(TokenBucket, RefillsAtRateAndCapsAtOneSecond) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  b.consume(100, t0);
  EXPECT_NEAR(b.balance(t0 + 250ms), 25, 1e-6);
  EXPECT_NEAR(b.balance(t0 + 10s), 100, 1e-6);
}

TEST(TokenBucket, ZeroRateNeverThrottles) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(0, t0);
  b.consume(1e9, t0);
  EXPECT_FALSE(b.admit(t0));
}

TEST(TokenBucket, SetRateClampsBalanceToNewCapacity) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(1000, t0);
  b.set_rate(10, t0);
  EXPECT_NEAR(b.balance(t0), 10, 1e-6);
  b.consume(20, t0);
  auto wait = b.admit(t0);
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, 1000ms);
}

// The 429s of one overdrawn partition form a queue: each is told to come back after the charges
// booked by the ones rejected before it (10 RU each at 100 RU/s = 100 ms apart).
TEST(TokenBucket, EachRejectedRequestIsToldALaterTimeThanTheOneBefore) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  for (int i = 0; i < 11; ++i) b.consume(10, t0);  // balance -10: positive again after 100 ms
  auto first = b.admit(t0);
  auto second = b.admit(t0);
  auto third = b.admit(t0);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(*first, 101ms);
  EXPECT_EQ(*second, 201ms);
  EXPECT_EQ(*third, 301ms);
}

// 30 concurrent requests of 10 RU at 100 RU/s: the burst admits 10, and each of the 20 rejected
// ones, coming back exactly when told, is admitted on its first retry.
TEST(TokenBucket, RejectedRequestsComingBackWhenToldAreAdmittedInTurn) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  std::vector<clock::time_point> returns;
  for (int i = 0; i < 30; ++i) {
    if (auto wait = b.admit(t0)) {
      returns.push_back(t0 + *wait);
    } else {
      b.consume(10, t0);
    }
  }
  ASSERT_EQ(returns.size(), 20u);
  std::sort(returns.begin(), returns.end());
  for (std::size_t i = 0; i < returns.size(); ++i) {
    EXPECT_FALSE(b.admit(returns[i])) << "retry " << i << " throttled again";
    b.consume(10, returns[i]);
  }
  // The last one came back after the 200 RU above the burst refilled: 2 s.
  EXPECT_GE(returns.back() - t0, 1900ms);
}

TEST(TokenBucket, BookingsLapseOnceTheClockPassesThem) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  for (int i = 0; i < 11; ++i) b.consume(10, t0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.admit(t0));  // booked until t0 + 600 ms
  const auto later = t0 + 700ms;                         // balance +60
  b.consume(70, later);                                  // balance -10
  auto wait = b.admit(later);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 101ms);
}

TEST(TokenBucket, RetryAfterNeverExceedsTheBound) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  b.consume(150, t0);
  std::chrono::milliseconds longest{0};
  for (int i = 0; i < 10'000; ++i) {
    auto wait = b.admit(t0);
    ASSERT_TRUE(wait);
    longest = std::max(longest, *wait);
  }
  EXPECT_EQ(longest, token_bucket::max_retry_after);
}

TEST(TokenBucket, EstimatedChargeFollowsTheConsumedCharges) {
  const auto t0 = clock::time_point{} + 100s;
  token_bucket b(100, t0);
  b.consume(10, t0);
  EXPECT_DOUBLE_EQ(b.estimated_charge(), 10);
  for (int i = 0; i < 100; ++i) b.consume(50, t0);
  EXPECT_NEAR(b.estimated_charge(), 50, 0.01);
}

TEST(PartitionShare, SplitsEvenly) {
  EXPECT_DOUBLE_EQ(partition_share(1000, 4), 250);
  EXPECT_DOUBLE_EQ(partition_share(0, 4), 0);
}

}  // namespace
}  // namespace idabus::emulator
