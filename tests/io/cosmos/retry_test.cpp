#include "io/cosmos/retry.hpp"

#include <gtest/gtest.h>

#include <set>

namespace cosmos = idabus::io::cosmos;
using cosmos::failure_class;

TEST(Classify, FollowsTheReferenceRetryTable) {
  EXPECT_EQ(cosmos::classify(429, 3200), failure_class::throttled);
  EXPECT_EQ(cosmos::classify(429, 0), failure_class::throttled);
  for (unsigned s : {408u, 449u, 503u}) EXPECT_EQ(cosmos::classify(s, 0), failure_class::transient) << s;
  for (int sub : {1002, 1007, 1008}) EXPECT_EQ(cosmos::classify(410, sub), failure_class::range_gone) << sub;
  EXPECT_EQ(cosmos::classify(410, 1000), failure_class::transient);
  for (unsigned s : {400u, 401u, 403u, 404u, 409u, 412u, 413u, 500u}) {
    EXPECT_EQ(cosmos::classify(s, 0), failure_class::permanent) << s;
  }
}

TEST(BackoffDelay, GrowsExponentiallyWithinTheCapAndIsJittered) {
  cosmos::retry_options options;
  options.initial_backoff = std::chrono::milliseconds(100);
  options.max_backoff = std::chrono::milliseconds(1000);
  std::mt19937_64 rng(42);
  std::set<long long> seen;
  for (int attempt = 1; attempt <= 40; ++attempt) {
    for (int i = 0; i < 20; ++i) {
      const auto d = cosmos::backoff_delay(options, attempt, rng);
      const long long cap = std::min<long long>(1000, 100LL << std::min(attempt - 1, 20));
      EXPECT_GE(d.count(), 1);
      EXPECT_LE(d.count(), cap) << attempt;
      seen.insert(d.count());
    }
  }
  EXPECT_GT(seen.size(), 50u);  // jitter, not a fixed schedule
}

TEST(ParseRetryAfter, ReadsMillisecondsAndRejectsGarbage) {
  EXPECT_EQ(cosmos::parse_retry_after("15"), std::chrono::milliseconds(15));
  EXPECT_EQ(cosmos::parse_retry_after(" 15.2 "), std::chrono::milliseconds(16));
  EXPECT_EQ(cosmos::parse_retry_after("0"), std::chrono::milliseconds(0));
  EXPECT_EQ(cosmos::parse_retry_after(""), std::chrono::milliseconds(-1));
  EXPECT_EQ(cosmos::parse_retry_after("soon"), std::chrono::milliseconds(-1));
  EXPECT_EQ(cosmos::parse_retry_after("-5"), std::chrono::milliseconds(-1));
}
