#include "pipeline/ru_budget.hpp"

#include "budget_options.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace {

using idabus::test::budget;

namespace net = boost::asio;
using idabus::pipeline::ru_budget;
using idabus::pipeline::ru_budget_options;
using idabus::test::run_coro;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;


TEST(ru_budget, ReserveWaitsOnARealTimerUntilTheEstimateFits) {
  // The bucket starts empty and fills from construction: 50 RU at 1000 RU/s are there 50 ms after
  // it. Time is measured from construction, so a slow set-up (ASan) cannot make the wait look short.
  const auto constructed = steady::now();
  ru_budget b(budget(1000));
  steady::duration before_reserve{};
  auto elapsed = run_coro([&](net::io_context& ctx) -> net::awaitable<steady::duration> {
    before_reserve = steady::now() - constructed;
    auto r = co_await b.reserve(50);
    EXPECT_DOUBLE_EQ(r.estimate, 50);
    EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
    co_return steady::now() - constructed;
  });
  EXPECT_GE(elapsed, 49ms);
  EXPECT_LT(elapsed, 1s);
  auto c = b.counters();
  EXPECT_EQ(c.reservations, 1u);
  EXPECT_GE(c.waited + before_reserve, 49ms);
}

TEST(ru_budget, ManualClockGrantsWithoutSleeping) {
  auto now = steady::time_point{} + 1h;
  ru_budget b(budget(100), [&] { return now; });
  now += 1s;  // the bucket fills to one burst (100 RU)
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    auto r = co_await b.reserve(60);
    b.settle(r, 60);
    auto r2 = co_await b.reserve(40);
    b.settle(r2, 40);
  });
  auto c = b.counters();
  EXPECT_EQ(c.reservations, 2u);
  EXPECT_DOUBLE_EQ(c.consumed_ru, 100);
  EXPECT_EQ(c.waited, 0ns);
}

TEST(ru_budget, UnlimitedNeverWaits) {
  ru_budget b(budget(0));
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    for (int i = 0; i < 10'000; ++i) {
      auto r = co_await b.reserve(1000);
      b.settle(r, 1200);
    }
  });
  auto c = b.counters();
  EXPECT_EQ(c.reservations, 10'000u);
  EXPECT_DOUBLE_EQ(c.consumed_ru, 12'000'000);
  EXPECT_EQ(c.current_rate, 0);
}

TEST(ru_budget, ThrottlePausesEvenAnUnlimitedBudget) {
  ru_budget b(budget(0));
  // Timed from the throttle, not from the coroutine's start: setting up the io_context can take
  // longer than the margin (seen under ASan: 14 ms), and the pause runs from on_throttled().
  const auto throttled_at = steady::now();
  b.on_throttled(40ms);
  auto elapsed = run_coro([&](net::io_context&) -> net::awaitable<steady::duration> {
    co_await b.reserve(1);
    co_return steady::now() - throttled_at;
  });
  EXPECT_GE(elapsed, 40ms);
  EXPECT_EQ(b.counters().throttles, 1u);
}

TEST(ru_budget, CancelledReserveThrowsAndReturnsItsPlace) {
  ru_budget b(budget(100));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    net::cancellation_signal signal;
    std::string outcome = "pending";
    auto waiter = [&]() -> net::awaitable<void> {
      try {
        co_await b.reserve(90);  // 0.9 s away
        outcome = "granted";
      } catch (const boost::system::system_error& e) {
        outcome = e.code() == net::error::operation_aborted ? "aborted" : e.what();
      }
    };
    net::co_spawn(ctx, waiter(), net::bind_cancellation_slot(signal.slot(), net::detached));
    net::steady_timer t(ctx, 10ms);
    co_await t.async_wait(net::use_awaitable);
    signal.emit(net::cancellation_type::terminal);
    while (outcome == "pending") co_await net::post(ctx, net::use_awaitable);
    EXPECT_EQ(outcome, "aborted");
    // The 90 RU were returned: 5 RU fit after ~50 ms, not after ~950 ms.
    const auto start = steady::now();
    co_await b.reserve(5);
    EXPECT_LT(steady::now() - start, 500ms);
  });
  EXPECT_EQ(b.counters().reservations, 1u);
}

TEST(ru_budget, WorkersOnSeveralThreadsShareOneBudget) {
  ru_budget b(budget(2000));
  std::atomic<int> done{0};
  const auto start = steady::now();
  {
    // The closure outlives its coroutines (a lambda coroutine reads captures through it).
    auto worker = [&]() -> net::awaitable<void> {
      for (int i = 0; i < 10; ++i) {
        auto r = co_await b.reserve(5);
        b.settle(r, 5);
      }
      ++done;
    };
    net::thread_pool workers(2);
    for (int w = 0; w < 4; ++w) net::co_spawn(workers, worker(), net::detached);
    workers.join();
  }
  const auto elapsed = steady::now() - start;
  EXPECT_EQ(done, 4);
  // 200 RU at 2000 RU/s from an empty bucket: about 100 ms, never much less.
  EXPECT_GE(elapsed, 90ms);
  EXPECT_DOUBLE_EQ(b.counters().consumed_ru, 200);
}

}  // namespace
