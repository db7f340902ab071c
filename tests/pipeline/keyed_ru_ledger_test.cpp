#include "pipeline/keyed_ru_ledger.hpp"

#include "budget_options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using idabus::test::per_key;
using idabus::test::t0;

using idabus::pipeline::keyed_ru_budget_options;
using idabus::pipeline::keyed_ru_ledger;
using namespace std::chrono_literals;
using time_point = keyed_ru_ledger::time_point;
using seconds_d = std::chrono::duration<double>;



// Saturating load: one worker per key, each reserving `estimate` again as soon as it is granted
// (settled at the estimate), against a manual clock until `until`. Returns RU granted per key.
std::map<std::string, double> saturate(keyed_ru_ledger& ledger, const std::vector<std::string>& keys, double estimate,
                                       time_point until) {
  std::vector<keyed_ru_ledger::ticket> tickets;
  for (const auto& k : keys) tickets.push_back(ledger.enqueue(k, estimate, t0));
  std::map<std::string, double> granted;
  time_point now = t0;
  while (now < until) {
    time_point next = time_point::max();
    for (auto& t : tickets) {
      auto d = ledger.try_grant(t, now);
      while (d.granted) {
        granted[t.key] += estimate;
        ledger.settle(t.key, estimate, estimate, now);
        t = ledger.enqueue(t.key, estimate, now);
        d = ledger.try_grant(t, now);
      }
      next = std::min(next, d.retry_at);
    }
    now = next;
  }
  return granted;
}

TEST(keyed_ru_ledger, AThrottledKeyPausesAndSlowsOnlyItself) {
  keyed_ru_ledger ledger(per_key(1000), t0);
  auto hot = ledger.enqueue("hot", 10, t0);
  auto cold = ledger.enqueue("cold", 10, t0);
  ledger.throttled("hot", 500ms, t0);
  EXPECT_TRUE(ledger.try_grant(cold, t0 + 10ms).granted);  // 10 RU at the full 1000 RU/s
  auto d = ledger.try_grant(hot, t0 + 10ms);
  ASSERT_FALSE(d.granted);
  EXPECT_EQ(d.retry_at, t0 + 500ms);
  EXPECT_DOUBLE_EQ(ledger.counters("hot", t0 + 10ms).current_rate, 500);
  EXPECT_DOUBLE_EQ(ledger.counters("cold", t0 + 10ms).current_rate, 1000);
  EXPECT_EQ(ledger.counters("hot", t0 + 10ms).throttles, 1u);
  EXPECT_EQ(ledger.counters("cold", t0 + 10ms).throttles, 0u);
  EXPECT_EQ(ledger.total_counters(t0 + 10ms).throttles, 1u);
}

TEST(keyed_ru_ledger, EachKeyGetsItsOwnRateWithoutACap) {
  keyed_ru_ledger ledger(per_key(1000), t0);
  auto granted = saturate(ledger, {"a", "b", "c", "d"}, 10, t0 + 10s);
  for (const auto& [key, ru] : granted) {
    EXPECT_GE(ru, 0.99 * 10'000) << key;
    EXPECT_LE(ru, 10'000 + 1000) << key;
  }
}

TEST(keyed_ru_ledger, TheCapBoundsTheSumOverAllKeys) {
  keyed_ru_ledger ledger(per_key(1000, 1000), t0);
  auto granted = saturate(ledger, {"a", "b", "c", "d"}, 10, t0 + 10s);
  double total = 0;
  for (const auto& [key, ru] : granted) {
    total += ru;
    EXPECT_GE(ru, 0.2 * 10'000) << key;  // the cap is shared, not taken by one key
  }
  EXPECT_LE(total, 1000 * 10 + 1000);  // cap × time + one burst
  EXPECT_GE(total, 0.98 * 1000 * 10);
  EXPECT_DOUBLE_EQ(ledger.total_counters(t0 + 10s).granted_ru, total);
}

TEST(keyed_ru_ledger, AKeyThatCannotBeServedHoldsNoPlaceInTheCapsQueue) {
  keyed_ru_ledger ledger(per_key(0, 100), t0);  // unlimited keys under a 100 RU/s cap
  auto hot = ledger.enqueue("hot", 50, t0);
  auto cold = ledger.enqueue("cold", 50, t0);
  ledger.throttled("hot", 10s, t0);
  EXPECT_FALSE(ledger.try_grant(hot, t0).granted);
  auto d = ledger.try_grant(cold, t0);
  ASSERT_FALSE(d.granted);
  EXPECT_NEAR(seconds_d(d.retry_at - t0).count(), 0.5, 1e-6);  // its own 50 RU, not the hot key's too
  EXPECT_TRUE(ledger.try_grant(cold, d.retry_at).granted);
  EXPECT_FALSE(ledger.try_grant(hot, d.retry_at).granted);
}

TEST(keyed_ru_ledger, GrantsOfOneKeyAreServedInArrivalOrder) {
  keyed_ru_ledger ledger(per_key(100), t0);
  auto big = ledger.enqueue("k", 80, t0);
  auto small = ledger.enqueue("k", 1, t0);
  auto other = ledger.enqueue("other", 1, t0);
  EXPECT_FALSE(ledger.try_grant(small, t0 + 500ms).granted);
  EXPECT_TRUE(ledger.try_grant(other, t0 + 500ms).granted);  // another key is not behind it
  EXPECT_TRUE(ledger.try_grant(big, t0 + 800ms).granted);
  EXPECT_TRUE(ledger.try_grant(small, t0 + 810ms).granted);
}

TEST(keyed_ru_ledger, SetRateReSplitsAKeyInFlight) {
  keyed_ru_ledger ledger(per_key(1000), t0);
  ledger.set_rate("r", 250, t0);
  auto t = ledger.enqueue("r", 50, t0);
  auto d = ledger.try_grant(t, t0);
  ASSERT_FALSE(d.granted);
  EXPECT_NEAR(seconds_d(d.retry_at - t0).count(), 0.2, 1e-6);  // 50 RU at 250 RU/s
  // A lowered (AIMD) rate keeps its fraction of the new budget.
  ledger.throttled("r", 0ms, t0);
  EXPECT_DOUBLE_EQ(ledger.counters("r", t0).current_rate, 125);
  ledger.set_rate("r", 500, t0);
  EXPECT_DOUBLE_EQ(ledger.counters("r", t0).current_rate, 250);
  EXPECT_DOUBLE_EQ(ledger.counters("never-set", t0).current_rate, 1000);
}

TEST(keyed_ru_ledger, WithdrawWhileWaitingForTheCapReturnsBothPlacesAndTheGrant) {
  keyed_ru_ledger ledger(per_key(1000, 100), t0);
  auto gone = ledger.enqueue("k", 50, t0);
  auto d = ledger.try_grant(gone, t0 + 50ms);  // the key grants at 50 ms; the cap needs 500 ms
  ASSERT_FALSE(d.granted);
  ASSERT_TRUE(gone.on_cap.has_value());
  ledger.withdraw(gone, t0 + 100ms);
  EXPECT_EQ(ledger.counters("k", t0 + 100ms).reservations, 0u);
  auto next = ledger.enqueue("k", 10, t0 + 100ms);
  // 10 RU: the key has the 50 RU back, the cap has earned 10 RU by 100 ms.
  EXPECT_TRUE(ledger.try_grant(next, t0 + 100ms).granted);
  EXPECT_EQ(ledger.counters("k", t0 + 100ms).reservations, 1u);
  EXPECT_EQ(ledger.total_counters(t0 + 100ms).reservations, 1u);
}

TEST(keyed_ru_ledger, WithdrawBehindInTheCapsQueueDoesNotLetTheOneAheadPassTheCap) {
  keyed_ru_ledger ledger(per_key(0, 100), t0);  // unlimited keys under a 100 RU/s cap
  auto ahead = ledger.enqueue("a", 50, t0);
  auto gone = ledger.enqueue("b", 50, t0);
  ASSERT_FALSE(ledger.try_grant(ahead, t0).granted);
  ASSERT_FALSE(ledger.try_grant(gone, t0).granted);
  ASSERT_TRUE(gone.on_cap.has_value());
  ledger.withdraw(gone, t0 + 100ms);
  auto d = ledger.try_grant(ahead, t0 + 100ms);  // the cap has earned 10 RU, not 50
  ASSERT_FALSE(d.granted);
  EXPECT_NEAR(seconds_d(d.retry_at - t0).count(), 0.5, 1e-6);
  EXPECT_TRUE(ledger.try_grant(ahead, d.retry_at).granted);
}

TEST(keyed_ru_ledger, TotalWaitedRunsFromEnqueueToTheCapsGrant) {
  keyed_ru_ledger ledger(per_key(1000, 100), t0);
  auto t = ledger.enqueue("k", 50, t0);
  ASSERT_FALSE(ledger.try_grant(t, t0 + 50ms).granted);  // the key grants; the cap needs 500 ms
  ASSERT_TRUE(ledger.try_grant(t, t0 + 500ms).granted);
  EXPECT_EQ(ledger.total_counters(t0 + 500ms).waited, 500ms);
  EXPECT_EQ(ledger.counters("k", t0 + 500ms).waited, 50ms);  // the key granted at 50 ms
}

TEST(keyed_ru_ledger, SettleCorrectsTheKeyAndTheCap) {
  keyed_ru_ledger ledger(per_key(100, 100), t0);
  auto t = ledger.enqueue("k", 10, t0);
  ASSERT_TRUE(ledger.try_grant(t, t0 + 200ms).granted);
  ledger.settle("k", 10, 60, t0 + 200ms);  // 50 RU of debt on both
  EXPECT_NEAR(ledger.counters("k", t0 + 200ms).balance_ru, -50 + 10, 1e-6);
  EXPECT_NEAR(ledger.total_counters(t0 + 200ms).balance_ru, -50 + 10, 1e-6);
  EXPECT_DOUBLE_EQ(ledger.counters("k", t0 + 200ms).consumed_ru, 60);
  EXPECT_DOUBLE_EQ(ledger.total_counters(t0 + 200ms).consumed_ru, 60);
}

TEST(keyed_ru_ledger, ARemovedKeyIsForgottenOnceNothingWaitsOnIt) {
  keyed_ru_ledger ledger(per_key(1000), t0);
  ledger.set_rate("parent", 100, t0);
  auto waiting = ledger.enqueue("parent", 50, t0);
  ledger.remove_key("parent");
  ASSERT_TRUE(ledger.try_grant(waiting, t0 + 500ms).granted);  // still served at its own rate
  EXPECT_DOUBLE_EQ(ledger.counters("parent", t0 + 500ms).current_rate, 1000);  // forgotten: default
  ledger.settle("parent", 50, 40, t0 + 500ms);  // a late settle reaches the cap only
  EXPECT_DOUBLE_EQ(ledger.total_counters(t0 + 500ms).consumed_ru, 40);
}

TEST(keyed_ru_ledger, AThrottleForAForgottenKeyIsCountedButBringsNoKeyBack) {
  keyed_ru_ledger ledger(per_key(1000), t0);
  ledger.set_rate("parent", 100, t0);
  ledger.remove_key("parent");
  ledger.throttled("parent", 10s, t0);  // a 429 for a request sent before the key went away
  EXPECT_EQ(ledger.total_counters(t0).throttles, 1u);
  const auto c = ledger.counters("parent", t0);
  EXPECT_EQ(c.throttles, 0u);                 // no ledger holds it
  EXPECT_DOUBLE_EQ(c.current_rate, 1000);     // re-created, it would run at 500 (the default, halved)
}

TEST(keyed_ru_ledger, RejectsOutOfRangeOptionsAndRates) {
  EXPECT_THROW(keyed_ru_ledger(per_key(100, -1), t0), std::invalid_argument);
  EXPECT_THROW(keyed_ru_ledger(per_key(-100), t0), std::invalid_argument);
  keyed_ru_ledger ledger(per_key(100), t0);
  EXPECT_THROW(ledger.set_rate("k", -1, t0), std::invalid_argument);
  EXPECT_THROW(ledger.enqueue("k", -1, t0), std::invalid_argument);
}

}  // namespace
