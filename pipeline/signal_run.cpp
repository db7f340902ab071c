#include "pipeline/signal_run.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

namespace idabus::pipeline {

signal_run_result run_with_signals(std::function<net::awaitable<void>()> top, std::function<void()> on_first_signal) {
  signal_run_result result;
  // Declared before the io_context: coroutines a second signal leaves suspended are destroyed
  // with the context, and their cancellation slots point into `cancel`.
  net::cancellation_signal cancel;
  net::io_context ctx(1);
  net::signal_set signals(ctx, SIGINT, SIGTERM);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int) {
    if (ec) return;
    if (++result.signals == 1) {
      if (on_first_signal) on_first_signal();
      cancel.emit(net::cancellation_type::terminal);
      signals.async_wait(on_signal);
    } else {
      ctx.stop();
    }
  };
  signals.async_wait(on_signal);
  net::co_spawn(ctx, top(), net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                  result.failure = e;
                  signals.cancel();
                }));
  ctx.run();
  return result;
}

}  // namespace idabus::pipeline
