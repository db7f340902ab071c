#pragma once
// cpu_pool: a fixed thread pool for CPU-bound steps (parse, compress, hash, merge).
//
// co_await pool.run(fn):
// - runs `fn()` on one of the pool's threads and resumes the awaiting coroutine on its own
//   executor afterwards (never on a pool thread);
// - returns fn's result, or rethrows the exception fn threw (it crosses the hop);
// - is NOT cancellable: a hop is short and always runs to completion. The completion handler is
//   bound to an empty cancellation slot (Asio 1.26 can touch freed memory when a cancelled hop
//   into a thread pool completes; fixed in 1.28.2). A cancellation requested meanwhile takes
//   effect at the coroutine's next cancellable co_await.
// - keeps the caller's executor busy until the result is back, so an io_context does not stop.
// The pool must outlive every hop; the destructor waits for running hops.
// GCC 12: name a capturing callable before the co_await (`auto f = [&]{...}; co_await pool.run(f);`),
// a capturing lambda inside the co_await operand corrupts the heap.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace idabus::pipeline {

namespace net = boost::asio;

struct cpu_pool_options {
  std::size_t threads = 0;  ///< 0: one per hardware thread (at least 1)
  std::string name = "cpu";  ///< shown in logs and metrics
};

class cpu_pool {
 public:
  explicit cpu_pool(cpu_pool_options options = {});
  ~cpu_pool();
  cpu_pool(const cpu_pool&) = delete;
  cpu_pool& operator=(const cpu_pool&) = delete;

  std::size_t threads() const noexcept { return threads_; }
  const std::string& name() const noexcept { return name_; }
  net::thread_pool::executor_type executor() noexcept { return pool_.get_executor(); }

  /// Runs `fn()` on the pool; see the contract above.
  template <class F>
  net::awaitable<std::invoke_result_t<F&>> run(F fn) {
    using result_t = std::invoke_result_t<F&>;
    auto token = net::bind_cancellation_slot(net::cancellation_slot(), net::use_awaitable);
    hop_initiation init{pool_.get_executor()};
    if constexpr (std::is_void_v<result_t>) {
      auto hop = net::async_initiate<decltype(token), void(std::exception_ptr)>(init, token, std::move(fn));
      co_await std::move(hop);
    } else {
      auto hop = net::async_initiate<decltype(token), void(std::exception_ptr, std::optional<result_t>)>(
          init, token, std::move(fn));
      auto result = co_await std::move(hop);
      co_return std::move(*result);
    }
  }

  /// Waits for queued hops to finish and stops the threads (the destructor does this too).
  void join();

 private:
  struct hop_initiation {
    net::thread_pool::executor_type pool;

    template <class Handler, class F>
    void operator()(Handler&& handler, F fn) const {
      // Tracked: the caller's io_context keeps running while the work is away.
      net::any_io_executor home = net::prefer(
          net::any_io_executor(net::get_associated_executor(handler, net::system_executor())),
          net::execution::outstanding_work.tracked);
      net::post(pool, job<std::decay_t<Handler>, F>{std::forward<Handler>(handler), std::move(fn), std::move(home)});
    }
  };

  template <class Handler, class F>
  struct job {
    Handler handler;
    F fn;
    net::any_io_executor home;

    void operator()() {
      using result_t = std::invoke_result_t<F&>;
      std::exception_ptr error;
      if constexpr (std::is_void_v<result_t>) {
        try {
          fn();
        } catch (...) {
          error = std::current_exception();
        }
        net::post(home, [h = std::move(handler), error]() mutable { std::move(h)(error); });
      } else {
        std::optional<result_t> value;
        try {
          value.emplace(fn());
        } catch (...) {
          error = std::current_exception();
        }
        net::post(home, [h = std::move(handler), error, v = std::move(value)]() mutable {
          std::move(h)(error, std::move(v));
        });
      }
    }
  };

  std::size_t threads_;
  std::string name_;
  net::thread_pool pool_;
};

}  // namespace idabus::pipeline
