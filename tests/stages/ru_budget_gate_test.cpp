#include "stages/ru_budget_gate.hpp"

#include "support/run_coro.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using idabus::io::cosmos::gate_key;
using idabus::pipeline::keyed_ru_budget;
using idabus::pipeline::keyed_ru_budget_options;
using idabus::pipeline::ru_budget;
using idabus::pipeline::ru_budget_options;
using idabus::stages::ru_budget_gate;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

const std::string coll = "dbs/d/colls/c";

keyed_ru_budget_options per_key(double ru_per_second, double cap = 0) {
  keyed_ru_budget_options o;
  o.per_key.ru_per_second = ru_per_second;
  o.cap_ru_per_second = cap;
  return o;
}

TEST(RuBudgetGate, SettlesTheServersChargeNotTheEstimate) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget budget(per_key(100), [&] { return now; });
  ru_budget_gate gate(budget);
  const gate_key key{coll, "0"};
  budget.set_rate(gate.budget_key(key), 100);
  now += 1s;  // a full bucket: 100 RU
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    co_await gate.acquire(key, 10);
    gate.settle(key, 10, 70);  // the server charged 60 RU more than estimated
    co_await gate.acquire(key, 20);
    gate.settle(key, 20, 5);
  });
  const auto c = budget.counters(gate.budget_key(key));
  EXPECT_EQ(c.reservations, 2u);
  EXPECT_DOUBLE_EQ(c.granted_ru, 30);
  EXPECT_DOUBLE_EQ(c.consumed_ru, 75);
  EXPECT_NEAR(c.balance_ru, 100 - 75, 1e-6);  // with (estimate, actual) swapped: 100 - 30
  EXPECT_DOUBLE_EQ(budget.total_counters().consumed_ru, 75);
}

TEST(RuBudgetGate, AChargeAboveTheEstimateDelaysTheNextAcquireOfThatRange) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget budget(per_key(100), [&] { return now; });
  ru_budget_gate gate(budget);
  const gate_key key{coll, "0"};
  budget.set_rate(gate.budget_key(key), 100);
  now += 1s;
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    co_await gate.acquire(key, 50);
    gate.settle(key, 50, 90);
  });
  // 10 RU left: a 10 RU acquire fits, a 20 RU one would not (it would fit with the estimate).
  EXPECT_NEAR(budget.counters(gate.budget_key(key)).balance_ru, 10, 1e-6);
}

TEST(RuBudgetGate, SplitsTheProvisionedRateOverTheRangesAndAgainAfterASplit) {
  keyed_ru_budget budget(per_key(0));
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 1000);
  gate.ranges_changed(coll, {"0", "1", "2", "3"});
  for (const char* id : {"0", "1", "2", "3"}) {
    EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, id})).current_rate, 250) << id;
  }
  // Range 3 split into 4 and 5: five ranges share the offer now.
  gate.ranges_changed(coll, {"0", "1", "2", "4", "5"});
  for (const char* id : {"0", "1", "2", "4", "5"}) {
    EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, id})).current_rate, 200) << id;
  }
  EXPECT_DOUBLE_EQ(budget.counters(coll + "#3").current_rate, 0);  // gone: no ledger, the default
  // A new offer is split over the current ranges.
  gate.set_provisioned(coll, 500);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, "4"})).current_rate, 100);
}

TEST(RuBudgetGate, RangesReportedBeforeTheOfferAreSplitWhenTheOfferArrives) {
  keyed_ru_budget budget(per_key(0));
  ru_budget_gate gate(budget);
  gate.ranges_changed(coll, {"0", "1"});
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, "0"})).current_rate, 0);
  gate.set_provisioned(coll, 800);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, "0"})).current_rate, 400);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({"dbs/d/colls/other", "0"})).current_rate, 0);
}

TEST(RuBudgetGate, AThrottleLowersOnlyTheRangeThatAnswered) {
  keyed_ru_budget budget(per_key(0));
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 1000);
  gate.ranges_changed(coll, {"0", "1"});
  gate.throttled({coll, "1"}, 100ms);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, "1"})).current_rate, 250);
  EXPECT_EQ(budget.counters(gate.budget_key({coll, "1"})).throttles, 1u);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, "0"})).current_rate, 500);
  EXPECT_EQ(budget.counters(gate.budget_key({coll, "0"})).throttles, 0u);
}

// The client does not wait after a 429 itself: it relies on the gate holding the next acquire.
TEST(RuBudgetGate, AThrottleHoldsTheNextAcquireOfItsKeyForRetryAfter) {
  keyed_ru_budget budget(per_key(0));  // unlimited: only a throttle pause can delay a grant
  ru_budget_gate gate(budget);
  gate.ranges_changed(coll, {"0", "1"});
  const std::vector<gate_key> keys{{coll, "0"}, {coll, ""}};  // a range, and no single range
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    for (const gate_key& key : keys) {
      co_await gate.acquire(key, 10);  // the request that is answered 429
      gate.settle(key, 10, 0);
      const auto throttled_at = steady::now();
      gate.throttled(key, 60ms);
      co_await gate.acquire(key, 10);  // its retry
      EXPECT_GE(steady::now() - throttled_at, 60ms) << key.range_id;
      gate.settle(key, 10, 10);
    }
  });
}

TEST(RuBudgetGate, CountsHowLongEachRangesAcquiresWaited) {
  keyed_ru_budget budget(per_key(0));  // unlimited: only the throttle pause makes range 0 wait
  ru_budget_gate gate(budget);
  gate.ranges_changed(coll, {"0", "1"});
  const gate_key paused{coll, "0"};
  const gate_key free{coll, "1"};
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    co_await gate.acquire(paused, 10);  // named keys: GCC 12 and braced temporaries in co_await
    gate.settle(paused, 10, 0);         // answered 429
    gate.throttled(paused, 60ms);
    co_await gate.acquire(paused, 10);  // its retry waits out the pause
    gate.settle(paused, 10, 10);
    co_await gate.acquire(free, 10);
    gate.settle(free, 10, 10);
  });
  EXPECT_GE(gate.waited_seconds(coll, "0"), 0.060);
  EXPECT_LT(gate.waited_seconds(coll, "1"), 0.060);
  EXPECT_EQ(gate.waited_seconds("dbs/d/colls/other", "0"), 0.0);
}

TEST(RuBudgetGate, A429AndARetryForARangeGoneInASplitBringNoKeyOfItBack) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget budget(per_key(10), [&] { return now; });  // a key re-created would run at 10 RU/s
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 1200);
  gate.ranges_changed(coll, {"0", "1"});
  gate.ranges_changed(coll, {"0", "2", "3"});  // range 1 split into 2 and 3
  const std::string gone_key = coll + "#1";
  const gate_key gone{coll, "1"};
  // A request sent to range 1 before the split is answered 429, and the client retries it there.
  gate.throttled(gone, 100ms);
  now += 1s;
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    co_await gate.acquire(gone, 0);  // 0 RU: granted at once on any key (the manual clock stands)
    gate.settle(gone, 0, 2);         // the 410 it gets
  });
  EXPECT_EQ(budget.total_counters().throttles, 1u);
  const auto c = budget.counters(gone_key);  // no ledger of range 1: zeros and the default rate
  EXPECT_EQ(c.throttles, 0u);
  EXPECT_EQ(c.reservations, 0u);
  EXPECT_DOUBLE_EQ(c.current_rate, 10);
  EXPECT_EQ(budget.total_counters().reservations, 1u);  // paced by the cap only
  for (const char* id : {"0", "2", "3"}) {
    EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, id})).current_rate, 400) << id;
  }
}

TEST(RuBudgetGate, CountsThrottlesPerCollectionWhateverTheRange) {
  keyed_ru_budget budget(per_key(0));
  ru_budget_gate gate(budget);
  gate.throttled({coll, "0"}, 10ms);
  gate.throttled({coll, "1"}, 10ms);
  gate.throttled({coll, ""}, 10ms);
  gate.throttled({"dbs/d/colls/other", "0"}, 10ms);
  EXPECT_EQ(gate.throttled_count(coll), 3u);
  EXPECT_EQ(gate.throttled_count("dbs/d/colls/other"), 1u);
  EXPECT_EQ(gate.throttled_count("dbs/d/colls/never"), 0u);
}

TEST(RuBudgetGate, ARequestToNoSingleRangeIsPacedByTheCapOnly) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget budget(per_key(10, 1000), [&] { return now; });  // ranges default to 10 RU/s
  ru_budget_gate gate(budget);
  const gate_key metadata{coll, ""};
  now += 1s;  // the cap's bucket: 1000 RU
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    for (int i = 0; i < 5; ++i) {
      co_await gate.acquire(metadata, 200);  // far above 10 RU/s; within the cap's bucket
      gate.settle(metadata, 200, 200);
    }
  });
  EXPECT_EQ(budget.counters(gate.budget_key(metadata)).reservations, 5u);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key(metadata)).current_rate, 0);
  EXPECT_EQ(budget.total_counters().reservations, 5u);
  EXPECT_NEAR(budget.total_counters().balance_ru, 0, 1e-6);
}

TEST(RuBudgetGate, TheSingleBudgetConstructorChargesEverythingToOneBudget) {
  ru_budget_options options;
  options.ru_per_second = 100;
  auto now = steady::time_point{} + 1h;
  ru_budget budget(options, [&] { return now; });
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 100'000);  // ignored: one budget
  gate.ranges_changed(coll, {"0", "1"});
  now += 1s;
  const gate_key range0{coll, "0"}, range1{coll, "1"};
  idabus::test::run_coro([&](net::io_context&) -> net::awaitable<void> {
    co_await gate.acquire(range0, 40);  // a named key: no braced temporary in co_await (GCC 12)
    gate.settle(range0, 40, 30);
    co_await gate.acquire(range1, 40);
    gate.settle(range1, 40, 45);
  });
  gate.throttled({coll, "1"}, 0ms);
  const auto c = budget.counters();
  EXPECT_EQ(c.reservations, 2u);
  EXPECT_DOUBLE_EQ(c.consumed_ru, 75);
  EXPECT_DOUBLE_EQ(c.granted_ru, 80);
  EXPECT_EQ(c.throttles, 1u);
  EXPECT_DOUBLE_EQ(c.current_rate, 50);
}

// A capped job's rates per range (share 1,000 RU/s each: an offer of 4,000 over 4 ranges).
std::vector<double> rates(keyed_ru_budget& budget, ru_budget_gate& gate, const std::string& collection) {
  std::vector<double> out;
  for (const char* id : {"0", "1", "2", "3"}) out.push_back(budget.counters(gate.budget_key({collection, id})).current_rate);
  return out;
}

TEST(RuBudgetGate, UnderAContendedCapTheRangeWithTheMostWorkKeepsItsShare) {
  keyed_ru_budget budget(per_key(0, 2000));
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 4000);
  gate.ranges_changed(coll, {"0", "1", "2", "3"});
  EXPECT_EQ(rates(budget, gate, coll), (std::vector<double>{1000, 1000, 1000, 1000}));
  gate.work_left({coll, "0"}, 9000);
  for (const char* id : {"1", "2", "3"}) gate.work_left({coll, id}, 1000);
  // Range 0 needs 9 s at its share; the other three share the 1,000 RU/s left of the cap and
  // finish within those 9 s. An equal part of the cap (500 RU/s) would take range 0 18 s.
  const auto r = rates(budget, gate, coll);
  EXPECT_DOUBLE_EQ(r[0], 1000);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_NEAR(r[i], 1000.0 / 3, 1e-9) << i;
}

TEST(RuBudgetGate, TheCapIsDividedAcrossCollectionsAndAgainAsWorkIsDone) {
  keyed_ru_budget budget(per_key(0, 2000));
  ru_budget_gate gate(budget);
  const std::string other = "dbs/d/colls/other";
  for (const auto& c : {coll, other}) {
    gate.set_provisioned(c, 4000);
    gate.ranges_changed(c, {"0", "1", "2", "3"});
    for (const char* id : {"0", "1", "2", "3"}) gate.work_left({c, id}, 1000);
  }
  for (const auto& c : {coll, other}) EXPECT_EQ(rates(budget, gate, c), (std::vector<double>(4, 250))) << c;
  for (const char* id : {"0", "1", "2", "3"}) gate.work_left({other, id}, 0);  // done
  EXPECT_EQ(rates(budget, gate, coll), (std::vector<double>(4, 500)));
  // Done ranges keep a small rate, not 0 (which would mean unlimited).
  EXPECT_EQ(rates(budget, gate, other), (std::vector<double>(4, 1000 * ru_budget_gate::min_share_fraction)));
}

TEST(RuBudgetGate, ARangeThatNeverReportedRunsAtItsShareTakenFromTheCapFirst) {
  keyed_ru_budget budget(per_key(0, 2000));
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 4000);
  gate.ranges_changed(coll, {"0", "1", "2", "3"});
  for (const char* id : {"0", "1", "2"}) gate.work_left({coll, id}, 1000);
  const auto r = rates(budget, gate, coll);
  EXPECT_DOUBLE_EQ(r[3], 1000);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(r[i], 1000.0 / 3, 1e-9) << i;
  // Range 3 split: its children never report; the reports of ranges gone are forgotten.
  gate.ranges_changed(coll, {"0", "1", "2", "4", "5"});
  gate.set_provisioned(coll, 5000);
  for (const char* id : {"4", "5"}) EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, id})).current_rate, 1000);
  EXPECT_DOUBLE_EQ(budget.counters(gate.budget_key({coll, "0"})).current_rate, 1000 * ru_budget_gate::min_share_fraction);
}

TEST(RuBudgetGate, WithoutACapWorkReportsChangeNoRate) {
  keyed_ru_budget budget(per_key(0));
  ru_budget_gate gate(budget);
  gate.set_provisioned(coll, 4000);
  gate.ranges_changed(coll, {"0", "1", "2", "3"});
  gate.work_left({coll, "0"}, 9000);
  for (const char* id : {"1", "2", "3"}) gate.work_left({coll, id}, 0);
  EXPECT_EQ(rates(budget, gate, coll), (std::vector<double>(4, 1000)));
}

}  // namespace
