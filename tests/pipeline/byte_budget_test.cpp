#include "pipeline/byte_budget.hpp"

#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <exception>
#include <optional>
#include <stdexcept>

namespace {

namespace net = boost::asio;
using idabus::pipeline::byte_budget;
using idabus::pipeline::byte_lease;
using idabus::test::run_coro;
using idabus::test::yield_a_few;

// One acquire running on its own, its outcome kept for the test to look at.
struct pending_acquire {
  std::optional<byte_lease> lease;
  std::exception_ptr error;
  bool done = false;
  net::cancellation_signal cancel;

  void start(net::io_context& ctx, byte_budget& budget, std::size_t bytes) {
    net::co_spawn(ctx, run(this, &budget, bytes), net::bind_cancellation_slot(cancel.slot(), [this](std::exception_ptr e) {
                    error = e;
                    done = true;
                  }));
  }

  // A free coroutine: a capturing lambda's captures would die with the lambda object.
  static net::awaitable<void> run(pending_acquire* self, byte_budget* budget, std::size_t bytes) {
    auto lease = co_await budget->acquire(bytes);
    self->lease.emplace(std::move(lease));
  }
};

bool aborted(const std::exception_ptr& e) {
  try {
    if (e) std::rethrow_exception(e);
  } catch (const boost::system::system_error& s) {
    return s.code() == net::error::operation_aborted;
  } catch (...) {
  }
  return false;
}

TEST(byte_budget, AcquireWithinTheCapacityCompletesAtOnceAndTheLeaseGivesItsBytesBack) {
  run_coro([](net::io_context&) -> net::awaitable<void> {
    byte_budget budget(10);
    {
      auto a = co_await budget.acquire(4);
      auto b = co_await budget.acquire(6);
      EXPECT_EQ(a.bytes(), 4u);
      EXPECT_EQ(budget.in_use(), 10u);
      a.release();
      EXPECT_EQ(budget.in_use(), 6u);
      byte_lease moved = std::move(b);
      EXPECT_EQ(budget.in_use(), 6u);  // moving a lease moves its bytes, it does not free them
    }
    EXPECT_EQ(budget.in_use(), 0u);
    EXPECT_EQ(budget.peak(), 10u);
  });
}

TEST(byte_budget, ASplitLeaseGivesItsPartsBackEachWhenItGoes) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    byte_budget budget(10);
    auto whole = co_await budget.acquire(9);
    auto part = whole.split(4);
    EXPECT_EQ(part.bytes(), 4u);
    EXPECT_EQ(whole.bytes(), 5u);
    EXPECT_EQ(budget.in_use(), 9u);  // splitting takes nothing and gives nothing back
    auto rest = whole.split(50);     // more than it holds: all of it
    EXPECT_EQ(rest.bytes(), 5u);
    EXPECT_EQ(whole.bytes(), 0u);
    EXPECT_EQ(whole.split(1).bytes(), 0u);
    pending_acquire waiter;
    waiter.start(ctx, budget, 5);
    co_await yield_a_few();
    EXPECT_FALSE(waiter.done);
    part.release();  // 4 back: 5 in use, the waiter's 5 fit
    co_await yield_a_few();
    EXPECT_TRUE(waiter.done);
    EXPECT_EQ(budget.in_use(), 10u);
    whole.release();  // emptied by the splits: gives nothing back twice
    EXPECT_EQ(budget.in_use(), 10u);
    rest.release();
    EXPECT_EQ(budget.in_use(), 5u);
  });
}

TEST(byte_budget, ZeroCapacityIsRejected) { EXPECT_THROW(byte_budget(0), std::invalid_argument); }

TEST(byte_budget, AWaiterResumesWhenEnoughBytesComeBack) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    byte_budget budget(10);
    auto held = co_await budget.acquire(7);
    pending_acquire waiter;
    waiter.start(ctx, budget, 5);
    co_await yield_a_few();
    EXPECT_FALSE(waiter.done);
    EXPECT_EQ(budget.waiting(), 1u);
    held.release();
    co_await yield_a_few();
    EXPECT_TRUE(waiter.done);
    CO_ASSERT_TRUE(waiter.lease);
    EXPECT_EQ(waiter.lease->bytes(), 5u);
    EXPECT_EQ(budget.in_use(), 5u);
    EXPECT_LE(budget.peak(), 10u);
  });
}

TEST(byte_budget, WaitersAreServedInArrivalOrderSoALargeRequestIsNotOvertaken) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    byte_budget budget(10);
    auto first = co_await budget.acquire(4);
    auto second = co_await budget.acquire(6);
    pending_acquire large, small;
    large.start(ctx, budget, 8);
    co_await yield_a_few();
    small.start(ctx, budget, 2);
    co_await yield_a_few();
    first.release();  // 2 would fit now, but the 8 came first
    co_await yield_a_few();
    EXPECT_FALSE(large.done);
    EXPECT_FALSE(small.done);
    EXPECT_FALSE(budget.try_acquire(1).has_value());  // nor does anyone jump the queue
    second.release();
    co_await yield_a_few();
    EXPECT_TRUE(large.done && small.done);
    EXPECT_EQ(budget.in_use(), 10u);
  });
}

TEST(byte_budget, ARequestLargerThanTheCapacityRunsAlone) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    byte_budget budget(10);
    auto held = co_await budget.acquire(1);
    pending_acquire huge;
    huge.start(ctx, budget, 25);
    co_await yield_a_few();
    EXPECT_FALSE(huge.done);
    held.release();
    co_await yield_a_few();
    CO_ASSERT_TRUE(huge.done && huge.lease);
    EXPECT_EQ(budget.in_use(), 25u);
    EXPECT_FALSE(budget.try_acquire(1).has_value());
    huge.lease->release();
    EXPECT_TRUE(budget.try_acquire(10).has_value());
  });
}

TEST(byte_budget, ACancelledWaiterThrowsAbortedAndGivesBackNothingItDidNotGet) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    byte_budget budget(10);
    auto held = co_await budget.acquire(10);
    pending_acquire waiter;
    waiter.start(ctx, budget, 4);
    co_await yield_a_few();
    waiter.cancel.emit(net::cancellation_type::all);
    co_await yield_a_few();
    EXPECT_TRUE(waiter.done);
    EXPECT_TRUE(aborted(waiter.error));
    EXPECT_FALSE(waiter.lease);
    EXPECT_EQ(budget.waiting(), 0u);
    EXPECT_EQ(budget.in_use(), 10u);  // the holder's bytes are still the holder's
    EXPECT_FALSE(budget.try_acquire(1).has_value());
    held.release();
    EXPECT_EQ(budget.in_use(), 0u);
    EXPECT_TRUE(budget.try_acquire(10).has_value());
  });
}

TEST(byte_budget, CancellingTheWaiterAtTheHeadLetsTheOnesBehindItIn) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    byte_budget budget(10);
    auto held = co_await budget.acquire(6);
    pending_acquire head, behind;
    head.start(ctx, budget, 8);
    co_await yield_a_few();
    behind.start(ctx, budget, 4);  // fits beside `held`, but queues behind the 8
    co_await yield_a_few();
    EXPECT_FALSE(behind.done);
    head.cancel.emit(net::cancellation_type::all);
    co_await yield_a_few();
    EXPECT_TRUE(aborted(head.error));
    CO_ASSERT_TRUE(behind.done && behind.lease);
    EXPECT_EQ(budget.in_use(), 10u);
  });
}

TEST(byte_budget, ALeaseDeliveredToAGoneCoroutineComesBack) {
  byte_budget budget(10);
  {
    pending_acquire waiter;
    net::io_context ctx;
    auto held = budget.try_acquire(10);
    net::co_spawn(ctx, pending_acquire::run(&waiter, &budget, 10), net::detached);
    ctx.poll();
    held.reset();  // granted: the completion (holding the lease) is posted, never run
    EXPECT_EQ(budget.in_use(), 10u);
    EXPECT_FALSE(waiter.lease);
  }  // the io_context destroys the completion, and the lease with it
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
