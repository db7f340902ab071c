#include "pipeline/keyed_ru_budget.hpp"

#include "budget_options.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using idabus::test::per_key;

namespace net = boost::asio;
using idabus::pipeline::keyed_ru_budget;
using idabus::pipeline::keyed_ru_budget_options;
using idabus::test::run_coro;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;


// Spawns reserve(key, estimate) on ctx; `outcome` becomes "granted", "aborted" or the error.
void spawn_reserve(net::io_context& ctx, keyed_ru_budget& budget, std::string key, double estimate,
                   net::cancellation_signal& signal, std::string& outcome) {
  auto waiter = [](keyed_ru_budget& b, std::string k, double e, std::string& out) -> net::awaitable<void> {
    try {
      auto r = co_await b.reserve(std::move(k), e);
      b.settle(std::move(r), e);
      out = "granted";
    } catch (const boost::system::system_error& err) {
      out = err.code() == net::error::operation_aborted ? "aborted" : err.what();
    }
  };
  net::co_spawn(ctx, waiter(budget, std::move(key), estimate, outcome),
                net::bind_cancellation_slot(signal.slot(), net::detached));
}

TEST(keyed_ru_budget, AThrottledKeyDoesNotDelayOtherKeys) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget b(per_key(1000), [&] { return now; });
  now += 1s;  // every key's bucket could hold one second (buckets start empty, then fill)
  b.set_rate("hot", 1000);
  b.set_rate("cold", 1000);
  now += 1s;
  b.on_throttled("hot", 60s);
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    net::cancellation_signal signal;
    std::string hot = "pending";
    spawn_reserve(ctx, b, "hot", 10, signal, hot);
    // The manual clock stands still: the cold key is served from its own full bucket at once,
    // while the hot key waits out its 60 s.
    for (int i = 0; i < 10; ++i) {
      auto r = co_await b.reserve("cold", 100);
      b.settle(std::move(r), 100);
    }
    EXPECT_EQ(hot, "pending");
    signal.emit(net::cancellation_type::terminal);
    while (hot == "pending") co_await net::post(ctx, net::use_awaitable);
    EXPECT_EQ(hot, "aborted");
  });
  EXPECT_EQ(b.counters("cold").reservations, 10u);
  EXPECT_EQ(b.counters("cold").waited, 0ns);
  EXPECT_DOUBLE_EQ(b.counters("cold").current_rate, 1000);
  EXPECT_DOUBLE_EQ(b.counters("hot").current_rate, 500);
  EXPECT_EQ(b.counters("hot").reservations, 0u);
  EXPECT_EQ(b.total_counters().throttles, 1u);
}

TEST(keyed_ru_budget, TheCapIsRespectedAcrossKeys) {
  keyed_ru_budget b(per_key(1000, 1000));
  const auto start = steady::now();
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    std::vector<std::string> outcomes(4, "pending");
    std::vector<net::cancellation_signal> signals(4);
    // 4 keys × 2 × 50 RU = 400 RU: 100 ms per key alone, 400 ms under the 1000 RU/s cap.
    for (int i = 0; i < 4; ++i) {
      auto worker = [](keyed_ru_budget& budget, std::string key, std::string& out) -> net::awaitable<void> {
        for (int n = 0; n < 2; ++n) {
          auto r = co_await budget.reserve(key, 50);
          budget.settle(std::move(r), 50);
        }
        out = "done";
      };
      net::co_spawn(ctx, worker(b, "k" + std::to_string(i), outcomes[i]), net::detached);
    }
    for (const auto& o : outcomes) {
      while (o == "pending") co_await net::post(ctx, net::use_awaitable);
    }
  });
  EXPECT_GE(steady::now() - start, 380ms);
  const auto total = b.total_counters();
  EXPECT_EQ(total.reservations, 8u);
  EXPECT_DOUBLE_EQ(total.granted_ru, 400);
  EXPECT_DOUBLE_EQ(total.current_rate, 1000);
}

TEST(keyed_ru_budget, SetRateReSplitsAKeysBudget) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget b(per_key(1000), [&] { return now; });
  b.set_rate("r", 250);
  now += 1s;  // the bucket holds at most one second: 250 RU
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    auto r = co_await b.reserve("r", 250);
    b.settle(std::move(r), 250);
  });
  EXPECT_DOUBLE_EQ(b.counters("r").current_rate, 250);
  EXPECT_NEAR(b.counters("r").balance_ru, 0, 1e-6);  // at 1000 RU/s it would keep 750 RU
  b.set_rate("r", 2000);
  now += 1s;
  EXPECT_NEAR(b.counters("r").balance_ru, 2000, 1e-6);
}

TEST(keyed_ru_budget, CancellationWhileWaitingForTheCapReturnsThePlace) {
  auto now = steady::time_point{} + 1h;
  keyed_ru_budget b(per_key(1000, 100), [&] { return now; });
  b.set_rate("k", 1000);
  now += 1s;  // full buckets: 1000 RU on the key, 100 RU on the cap
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    auto first = co_await b.reserve("k", 100);  // empties the cap
    b.settle(std::move(first), 100);
    net::cancellation_signal signal;
    std::string outcome = "pending";
    spawn_reserve(ctx, b, "k", 90, signal, outcome);  // the key grants; the cap cannot
    while (b.counters("k").reservations < 2) co_await net::post(ctx, net::use_awaitable);
    signal.emit(net::cancellation_type::terminal);
    while (outcome == "pending") co_await net::post(ctx, net::use_awaitable);
    EXPECT_EQ(outcome, "aborted");
  });
  // The manual clock stood still: both balances are exact. The 90 RU are back on the key and
  // on the cap, and the key no longer counts the grant it gave.
  EXPECT_NEAR(b.counters("k").balance_ru, 1000 - 100, 1e-6);
  EXPECT_NEAR(b.total_counters().balance_ru, 0, 1e-6);
  EXPECT_EQ(b.counters("k").reservations, 1u);
  EXPECT_EQ(b.total_counters().reservations, 1u);
}

TEST(keyed_ru_budget, ReservesOfOneKeyCompleteInArrivalOrder) {
  keyed_ru_budget b(per_key(1000));
  std::vector<int> order;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    // Smaller requests behind bigger ones must not overtake them.
    const std::vector<double> estimates{40, 5, 20, 1};
    for (int i = 0; i < 4; ++i) {
      auto waiter = [](keyed_ru_budget& budget, double e, int index, std::vector<int>& out) -> net::awaitable<void> {
        auto r = co_await budget.reserve("k", e);
        budget.settle(std::move(r), e);
        out.push_back(index);
      };
      net::co_spawn(ctx, waiter(b, estimates[i], i, order), net::detached);
    }
    while (order.size() < 4) co_await net::post(ctx, net::use_awaitable);
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(keyed_ru_budget, ResumesOnTheCallersExecutor) {
  keyed_ru_budget b(per_key(1000));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    auto r = co_await b.reserve("k", 20);  // waits on a timer: 20 ms
    EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
    EXPECT_DOUBLE_EQ(r.estimate, 20);
    EXPECT_EQ(r.key, "k");
  });
}

}  // namespace

namespace {

TEST(keyed_ru_budget, ARateRaisedWhileWaitingTakesEffectBeforeTheOldWaitEnds) {
  keyed_ru_budget b(per_key(1));
  b.set_rate("k", 1);
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    auto r = co_await b.reserve("k", 0);
    b.settle(std::move(r), 100);  // a debt of 100 RU: at 1 RU/s the next grant is 100 s away
  });
  net::io_context ctx;
  net::cancellation_signal signal;
  std::string outcome = "pending";
  spawn_reserve(ctx, b, "k", 1, signal, outcome);
  net::steady_timer later(ctx, 20ms);
  later.async_wait([&](boost::system::error_code) { b.set_rate("k", 1'000'000); });
  ctx.run_for(5s);  // a bound far above the new rate's wait, far below the old one's
  EXPECT_EQ(outcome, "granted");
  if (outcome == "pending") {
    signal.emit(net::cancellation_type::terminal);
    ctx.restart();
    ctx.run();
  }
}

}  // namespace
