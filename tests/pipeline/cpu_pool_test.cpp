#include "pipeline/cpu_pool.hpp"

#include "support/run_coro.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
using idabus::pipeline::cpu_pool;
using idabus::pipeline::cpu_pool_options;
using idabus::test::run_coro;

TEST(cpu_pool, RunsTheCallableOnAPoolThreadAndResumesOnTheCallersExecutor) {
  cpu_pool pool({.threads = 2, .name = "test"});
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    const auto caller = std::this_thread::get_id();
    auto where = co_await pool.run([] { return std::this_thread::get_id(); });
    EXPECT_NE(where, caller);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
  });
}

TEST(cpu_pool, ReturnsTheResult) {
  cpu_pool pool({.threads = 1});
  auto sum = run_coro([&](net::io_context&) -> net::awaitable<long> {
    std::vector<long> v(1000);
    std::iota(v.begin(), v.end(), 1);
    // Callables are named before co_await: GCC 12 miscompiles capturing lambdas in its operand.
    auto add_up = [v = std::move(v)] { return std::accumulate(v.begin(), v.end(), 0L); };
    co_return co_await pool.run(std::move(add_up));
  });
  EXPECT_EQ(sum, 500500);
}

TEST(cpu_pool, MoveOnlyResultsAndVoidCallablesWork) {
  cpu_pool pool({.threads = 1});
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    auto p = co_await pool.run([] { return std::make_unique<std::string>("compressed"); });
    EXPECT_EQ(*p, "compressed");
    bool ran = false;
    auto mark = [&ran] { ran = true; };
    co_await pool.run(mark);
    EXPECT_TRUE(ran);
  });
}

TEST(cpu_pool, ExceptionsCrossTheHop) {
  cpu_pool pool({.threads = 1});
  try {
    run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
      try {
        co_await pool.run([]() -> int { throw std::invalid_argument("zstd level 99 is out of range"); });
      } catch (...) {
        EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
        throw;
      }
    });
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "zstd level 99 is out of range");
  }
}

TEST(cpu_pool, HopIsNotCancelledHalfway) {
  // A cancellation emitted while the hop runs does not abandon it: the work completes and its
  // result is delivered; the coroutine sees the cancellation only at its next co_await.
  cpu_pool pool({.threads = 1});
  std::atomic<bool> finished{false};
  int delivered = 0;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    net::cancellation_signal signal;
    bool done = false;
    auto worker = [&]() -> net::awaitable<void> {
      auto slow = [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        finished = true;
        return 42;
      };
      delivered = co_await pool.run(slow);
      done = true;
    };
    net::co_spawn(ctx, worker(), net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done = true; }));
    co_await net::post(ctx, net::use_awaitable);
    signal.emit(net::cancellation_type::terminal);
    while (!done) co_await net::post(ctx, net::use_awaitable);
  });
  EXPECT_TRUE(finished);
  EXPECT_EQ(delivered, 42);
}

TEST(cpu_pool, ManyConcurrentHopsFromOneContextAllComplete) {
  cpu_pool pool({.threads = 2});
  auto total = run_coro([&](net::io_context& ctx) -> net::awaitable<int> {
    int sum = 0;
    int pending = 100;
    // The closure outlives its coroutines (a lambda coroutine reads captures through it).
    auto one = [&](int k) -> net::awaitable<void> {
      auto identity = [k] { return k; };
      sum += co_await pool.run(identity);
      --pending;
    };
    for (int i = 0; i < 100; ++i) net::co_spawn(ctx, one(i), net::detached);
    while (pending > 0) co_await net::post(ctx, net::use_awaitable);
    co_return sum;
  });
  EXPECT_EQ(total, 4950);
}

TEST(cpu_pool, ZeroThreadsMeansOnePerHardwareThread) {
  cpu_pool pool({.threads = 0});
  EXPECT_GE(pool.threads(), 1u);
  EXPECT_EQ(pool.name(), "cpu");
}

}  // namespace
