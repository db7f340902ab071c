#pragma once
// background_run: a coroutine a test starts on its io_context, watches (poll_until) and then
// stops, for stages that would otherwise run on (a stalled range) until the test's deadline.
// - The coroutine is spawned at construction; stop() emits a terminal cancellation into it and
//   returns once it has ended (its exception, the cancellation's, is dropped).
// - poll_until checks its condition every 2 ms; it never gives up: run_coro's deadline ends a hang.
// Both run on the test's single-threaded io_context. Header-only.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <utility>

namespace idabus::test {

namespace net = boost::asio;

/// Returns once `done()` holds, checking every 2 ms.
inline net::awaitable<void> poll_until(std::function<bool()> done) {
  net::steady_timer poll(co_await net::this_coro::executor);
  while (!done()) {
    poll.expires_after(std::chrono::milliseconds(2));
    co_await poll.async_wait(net::use_awaitable);
  }
}

class background_run {
 public:
  background_run(net::io_context& ctx, net::awaitable<void> work) {
    net::co_spawn(ctx, std::move(work),
                  net::bind_cancellation_slot(stop_.slot(), [this](std::exception_ptr) { finished_ = true; }));
  }
  background_run(const background_run&) = delete;
  background_run& operator=(const background_run&) = delete;

  /// Cancels the coroutine (terminal) and returns once it has ended.
  net::awaitable<void> stop() {
    stop_.emit(net::cancellation_type::terminal);
    std::function<bool()> ended = [this] { return finished_; };
    co_await poll_until(std::move(ended));
  }

 private:
  net::cancellation_signal stop_;
  bool finished_ = false;
};

}  // namespace idabus::test
