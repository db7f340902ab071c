#pragma once
// suspended_op: one asynchronous operation parked inside a pipeline primitive (channel,
// reorder_buffer) until another party completes it or it is cancelled.
// Contract:
// - Created inside an async_initiate initiation from the operation's completion handler. It
//   keeps the handler's executor busy (outstanding work) so an io_context does not run out of
//   work while a coroutine waits on a primitive fed from another thread.
// - complete(...) never invokes the handler inline: it posts to the handler's associated
//   executor, which is where the awaiting coroutine resumes. It may be called from any thread.
// - The per-operation cancellation slot is cleared on that executor right before the handler
//   runs, so a concurrent emit either reaches the owner's cancel path (which must look the
//   operation up by id under the owner's lock and find it gone) or nothing at all.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <tuple>
#include <utility>

namespace idabus::pipeline::detail {

namespace net = boost::asio;

template <class... Args>
class suspended_op {
 public:
  using signature = void(boost::system::error_code, Args...);

  template <class Handler>
  suspended_op(std::uint64_t id, Handler&& handler)
      : id_(id),
        executor_(net::prefer(net::any_io_executor(net::get_associated_executor(handler, net::system_executor())),
                              net::execution::outstanding_work.tracked)),
        slot_(net::get_associated_cancellation_slot(handler)),
        handler_(std::forward<Handler>(handler)) {}

  std::uint64_t id() const noexcept { return id_; }

  /// The operation's cancellation slot (may be unconnected).
  net::cancellation_slot slot() const noexcept { return slot_; }

  /// Posts the completion to the handler's executor. Call at most once. The work guard moves
  /// into the posted completion, so the executor stays busy exactly until the handler has run.
  void complete(boost::system::error_code ec, Args... args) {
    net::any_io_executor executor = std::move(executor_);
    executor_ = net::any_io_executor();
    net::post(executor, completion{std::move(handler_), slot_, ec, std::tuple<Args...>(std::move(args)...)});
  }

 private:
  struct completion {
    net::any_completion_handler<signature> handler;
    net::cancellation_slot slot;
    boost::system::error_code ec;
    std::tuple<Args...> args;

    void operator()() {
      if (slot.is_connected()) slot.clear();
      std::apply([this](Args&... a) { std::move(handler)(ec, std::move(a)...); }, args);
    }
  };

  std::uint64_t id_;
  net::any_io_executor executor_;
  net::cancellation_slot slot_;
  net::any_completion_handler<signature> handler_;
};

}  // namespace idabus::pipeline::detail
