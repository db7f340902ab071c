#include "pipeline/detail/suspended_op.hpp"


#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace {

namespace net = boost::asio;
using idabus::pipeline::detail::suspended_op;

TEST(suspended_op, CompletionIsPostedToTheHandlersExecutorNeverRunInline) {
  net::io_context ctx;
  bool ran = false;
  std::string got;
  auto handler = net::bind_executor(ctx, [&](boost::system::error_code ec, std::string s) {
    ran = true;
    got = ec ? "error" : s;
  });
  suspended_op<std::string> op(1, std::move(handler));
  op.complete({}, "value");
  EXPECT_FALSE(ran);
  ctx.run();
  EXPECT_TRUE(ran);
  EXPECT_EQ(got, "value");
}

TEST(suspended_op, KeepsTheExecutorBusyUntilCompleted) {
  // An io_context with nothing but a parked operation must not run out of work: another thread
  // completes it later.
  net::io_context ctx;
  std::optional<suspended_op<>> parked;
  bool ran = false;
  parked.emplace(7, net::bind_executor(ctx, [&](boost::system::error_code) { ran = true; }));
  std::thread completer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    parked->complete({});
  });
  ctx.run();  // returns only after the completion ran
  completer.join();
  EXPECT_TRUE(ran);
  EXPECT_EQ(parked->id(), 7u);
}

TEST(suspended_op, ClearsTheCancellationSlotBeforeTheHandlerRuns) {
  net::io_context ctx;
  net::cancellation_signal signal;
  bool slot_was_clear = false;
  struct noop {
    void operator()(net::cancellation_type_t) const {}
  };
  signal.slot().emplace<noop>();
  auto handler = net::bind_cancellation_slot(
      signal.slot(), net::bind_executor(ctx, [&](boost::system::error_code) {
        slot_was_clear = !signal.slot().has_handler();
      }));
  suspended_op<> op(1, std::move(handler));
  EXPECT_TRUE(op.slot().is_connected());
  op.complete(net::error::operation_aborted);
  ctx.run();
  EXPECT_TRUE(slot_was_clear);
}

}  // namespace
