#pragma once
// run_coro: runs one coroutine to completion on a fresh single-threaded io_context, with a
// deadline. GoogleTest has no coroutine TEST, so every coroutine test goes through this.
// - The coroutine's result (or exception) is handed back to the caller.
// - If the deadline passes first, the coroutine is cancelled through its cancellation slot, the
//   context drained, and std::runtime_error("run_coro: deadline ...") thrown, so a hang fails the
//   test instead of stalling CI.

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace idabus::test {

namespace net = boost::asio;

/// Runs `make(ctx)` — a callable returning net::awaitable<T> — on its own io_context.
template <class Make>
auto run_coro(Make make, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  net::io_context ctx;
  using awaitable_t = std::invoke_result_t<Make&, net::io_context&>;
  using value_t = typename awaitable_t::value_type;
  std::exception_ptr error;
  bool done = false;
  [[maybe_unused]] std::conditional_t<std::is_void_v<value_t>, bool, std::optional<value_t>> result{};
  net::cancellation_signal cancel;
  net::steady_timer timer(ctx, deadline);
  net::steady_timer grace(ctx);
  bool timed_out = false;
  timer.async_wait([&](boost::system::error_code ec) {
    if (!ec && !done) {
      timed_out = true;
      cancel.emit(net::cancellation_type::all);
      // A coroutine that ignores cancellation must still not stall the test run.
      grace.expires_after(std::chrono::seconds(2));
      grace.async_wait([&](boost::system::error_code) { ctx.stop(); });
    }
  });
  auto finish = [&](std::exception_ptr e) {
    done = true;
    error = e;
    timer.cancel();
    grace.cancel();
  };
  // Two handlers rather than one generic lambda: clang 14 checks `result.emplace` even in a
  // discarded branch of a generic lambda, where `result` is the bool placeholder.
  if constexpr (std::is_void_v<value_t>) {
    net::co_spawn(ctx, make(ctx), net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { finish(e); }));
  } else {
    net::co_spawn(ctx, make(ctx), net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, value_t value) {
                    finish(e);
                    if (!e) result.emplace(std::move(value));
                  }));
  }
  ctx.run();
  if (timed_out) throw std::runtime_error("run_coro: deadline passed before the coroutine finished");
  if (!done) throw std::runtime_error("run_coro: io_context ran out of work before the coroutine finished");
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<value_t>) return std::move(*result);
}

/// Suspends the calling coroutine for `duration` on its executor (throws when cancelled).
inline net::awaitable<void> pause(std::chrono::milliseconds duration) {
  net::steady_timer timer(co_await net::this_coro::executor, duration);
  co_await timer.async_wait(net::use_awaitable);
}

/// Lets every handler that is ready on the current executor run, `times` rounds.
inline net::awaitable<void> yield_a_few(int times = 8) {
  auto ex = co_await net::this_coro::executor;
  for (int i = 0; i < times; ++i) co_await net::post(ex, net::use_awaitable);
}

}  // namespace idabus::test
