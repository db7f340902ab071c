#include "tools/idabus-engine/activity.hpp"

#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <optional>

namespace idabus::engine {
namespace {

using idabus::test::run_coro;

TEST(ActivityCounter, DrainReturnsAtOnceWhenNothingRuns) {
  const bool drained = run_coro([](net::io_context& ctx) -> net::awaitable<bool> {
    activity_counter c(ctx.get_executor());
    co_return co_await c.drain(std::chrono::steady_clock::now() + std::chrono::hours(1));
  });
  EXPECT_TRUE(drained);
}

net::awaitable<void> release_later(std::optional<activity_counter::guard>* guard, bool* released) {
  net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(50));
  co_await t.async_wait(net::use_awaitable);
  *released = true;
  guard->reset();
}

TEST(ActivityCounter, DrainWaitsUntilTheLastGuardIsGone) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    activity_counter c(ctx.get_executor());
    std::optional<activity_counter::guard> g(c.enter());
    EXPECT_EQ(c.in_flight(), 1u);
    bool released = false;
    net::co_spawn(ctx, release_later(&g, &released), net::detached);
    const bool drained = co_await c.drain(std::chrono::steady_clock::now() + std::chrono::hours(1));
    EXPECT_TRUE(drained);
    EXPECT_TRUE(released);
    EXPECT_EQ(c.in_flight(), 0u);
  });
}

TEST(ActivityCounter, DrainGivesUpAtTheDeadline) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    activity_counter c(ctx.get_executor());
    auto g = c.enter();
    const bool drained = co_await c.drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
    EXPECT_FALSE(drained);
    EXPECT_EQ(c.in_flight(), 1u);
  });
}

}  // namespace
}  // namespace idabus::engine
