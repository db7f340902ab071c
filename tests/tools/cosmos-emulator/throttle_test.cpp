#include "tools/cosmos-emulator/throttle.hpp"

#include <gtest/gtest.h>

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

TEST(PartitionShare, SplitsEvenly) {
  EXPECT_DOUBLE_EQ(partition_share(1000, 4), 250);
  EXPECT_DOUBLE_EQ(partition_share(0, 4), 0);
}

}  // namespace
}  // namespace idabus::emulator
