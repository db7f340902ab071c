#include "pipeline/signal_run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <stdexcept>

namespace net = boost::asio;
using idabus::pipeline::run_with_signals;

namespace {

struct trace {
  bool aborted = false;  ///< the long wait ended with operation_aborted
  bool cleaned_up = false;
};

// Raises `first`, waits (long), and after the cancellation resets its state and runs a clean-up
// wait; raises `second` (when not 0) before the clean-up.
net::awaitable<void> interrupted_job(trace& t, int first, int second) {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor);
  std::raise(first);
  timer.expires_after(std::chrono::seconds(60));
  auto r = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  t.aborted = std::get<0>(r) == net::error::operation_aborted;
  co_await net::this_coro::reset_cancellation_state();
  if (second != 0) std::raise(second);
  timer.expires_after(std::chrono::milliseconds(second != 0 ? 60000 : 10));
  co_await timer.async_wait(net::use_awaitable);
  t.cleaned_up = true;
}

net::awaitable<void> failing_job() {
  co_await net::this_coro::executor;
  throw std::runtime_error("disk full");
}

net::awaitable<void> quiet_job(bool& ran) {
  co_await net::this_coro::executor;
  ran = true;
}

}  // namespace

TEST(RunWithSignals, AJobThatEndsReportsNoSignalAndNoFailure) {
  bool ran = false;
  auto r = run_with_signals([&] { return quiet_job(ran); });
  EXPECT_TRUE(ran);
  EXPECT_EQ(r.signals, 0);
  EXPECT_FALSE(r.failure);
}

TEST(RunWithSignals, TheJobsFailureIsReturned) {
  auto r = run_with_signals([] { return failing_job(); });
  ASSERT_TRUE(r.failure);
  EXPECT_THROW(std::rethrow_exception(r.failure), std::runtime_error);
}

TEST(RunWithSignals, TheFirstSignalCancelsTheJobWhichMayStillCleanUp) {
  trace t;
  int announced = 0;
  auto r = run_with_signals([&] { return interrupted_job(t, SIGINT, 0); }, [&] { ++announced; });
  EXPECT_EQ(r.signals, 1);
  EXPECT_EQ(announced, 1);
  EXPECT_TRUE(t.aborted);
  EXPECT_TRUE(t.cleaned_up);
  EXPECT_FALSE(r.failure);
}

TEST(RunWithSignals, ASecondSignalStopsAtOnce) {
  trace t;
  auto r = run_with_signals([&] { return interrupted_job(t, SIGTERM, SIGINT); });
  EXPECT_EQ(r.signals, 2);
  EXPECT_TRUE(t.aborted);
  EXPECT_FALSE(t.cleaned_up);  // its clean-up wait (60 s) was cut short
}
