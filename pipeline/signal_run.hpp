#pragma once
// run_with_signals: runs a program's top coroutine on its own single-threaded io_context until it
// ends, with the Ctrl-C contract of every program here (STYLE 6):
// - the first SIGINT or SIGTERM calls `on_first_signal` (optional, e.g. to print what happens
//   next) and emits a terminal cancellation into the coroutine, which drains, cleans up and ends
//   (it may reset its cancellation state to run clean-up requests, e.g. to put an offer back);
// - a second signal stops the io_context at once: the coroutines still suspended are destroyed
//   with it (so whatever they use must live in the top coroutine's frame or outlive this call).
// `top` is called once, on the io_context's thread; the coroutine it returns must take its
// arguments by value or borrow objects that outlive this call (never a capturing coroutine lambda).
// Returns how many signals arrived and what the coroutine threw (null when it returned).
// The signal handlers are installed only while it runs.

#include <boost/asio/awaitable.hpp>

#include <exception>
#include <functional>

namespace idabus::pipeline {

namespace net = boost::asio;

struct signal_run_result {
  int signals = 0;             ///< SIGINT/SIGTERM received while running
  std::exception_ptr failure;  ///< what the top coroutine threw; null when it returned
};

signal_run_result run_with_signals(std::function<net::awaitable<void>()> top,
                                   std::function<void()> on_first_signal = {});

}  // namespace idabus::pipeline
