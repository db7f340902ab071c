#include "pipeline/reorder_buffer.hpp"

#include "pipeline/channel.hpp"
#include "pipeline/cpu_pool.hpp"
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

#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using idabus::pipeline::reorder_buffer;
using idabus::pipeline::sequence_gap_error;
using idabus::pipeline::sequenced;
using idabus::test::run_coro;

using idabus::test::yield_a_few;

net::awaitable<std::vector<std::string>> drain(reorder_buffer<std::string>& rb) {
  std::vector<std::string> out;
  for (;;) {
    auto v = co_await rb.next();
    if (!v) break;
    out.push_back(std::move(*v));
  }
  co_return out;
}

net::awaitable<void> put(reorder_buffer<std::string>& rb, std::uint64_t seq) {
  sequenced<std::string> item{seq, "v" + std::to_string(seq)};
  co_await rb.put(std::move(item));
}

TEST(reorder_buffer, OutOfOrderInputComesOutInOrder) {
  auto got = run_coro([](net::io_context&) -> net::awaitable<std::vector<std::string>> {
    reorder_buffer<std::string> rb(8);
    for (std::uint64_t seq : {3, 1, 0, 2, 5, 4}) co_await put(rb, seq);
    rb.finish();
    co_return co_await drain(rb);
  });
  EXPECT_EQ(got, (std::vector<std::string>{"v0", "v1", "v2", "v3", "v4", "v5"}));
}

TEST(reorder_buffer, EmptyStreamEndsAtOnce) {
  auto got = run_coro([](net::io_context&) -> net::awaitable<std::vector<std::string>> {
    reorder_buffer<std::string> rb(4);
    rb.finish();
    co_return co_await drain(rb);
  });
  EXPECT_TRUE(got.empty());
}

TEST(reorder_buffer, ConsumerWaitsForTheMissingNextValue) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    reorder_buffer<std::string> rb(4);
    std::vector<std::string> got;
    bool done = false;
    auto consumer = [&]() -> net::awaitable<void> {
      got = co_await drain(rb);
      done = true;
    };
    net::co_spawn(ctx, consumer(), net::detached);
    co_await put(rb, 1);
    co_await put(rb, 2);
    co_await yield_a_few();
    EXPECT_TRUE(got.empty());
    co_await put(rb, 0);
    rb.finish();
    while (!done) co_await net::post(ctx, net::use_awaitable);
    EXPECT_EQ(got, (std::vector<std::string>{"v0", "v1", "v2"}));
  });
}

TEST(reorder_buffer, FullWindowSuspendsWorkersInsteadOfGrowing) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    reorder_buffer<std::string> rb(2);
    int stored = 0;
    auto worker = [&](std::uint64_t seq) -> net::awaitable<void> {
      co_await put(rb, seq);
      ++stored;
    };
    for (std::uint64_t seq : {1, 2, 3}) net::co_spawn(ctx, worker(seq), net::detached);
    co_await yield_a_few();
    EXPECT_EQ(stored, 1);  // only seq 1 fits in [0, 2)
    EXPECT_EQ(rb.size(), 1u);
    co_await put(rb, 0);
    EXPECT_EQ(co_await rb.next(), "v0");  // window [1, 3): seq 2 gets in
    co_await yield_a_few();
    EXPECT_EQ(stored, 2);
    EXPECT_LE(rb.size(), 2u);
    EXPECT_EQ(co_await rb.next(), "v1");
    EXPECT_EQ(co_await rb.next(), "v2");
    EXPECT_EQ(co_await rb.next(), "v3");
    EXPECT_EQ(stored, 3);
  });
}

TEST(reorder_buffer, EndOfStreamDeliversPendingItemsInOrderThenEnds) {
  auto got = run_coro([](net::io_context&) -> net::awaitable<std::vector<std::string>> {
    reorder_buffer<std::string> rb(4, 1, 10);
    co_await put(rb, 12);
    co_await put(rb, 10);
    co_await put(rb, 11);
    rb.finish();  // finish while three values are pending
    co_return co_await drain(rb);
  });
  EXPECT_EQ(got, (std::vector<std::string>{"v10", "v11", "v12"}));
}

TEST(reorder_buffer, GapAtEndOfStreamIsAnErrorNamingTheMissingSequence) {
  std::vector<std::string> got;
  try {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      reorder_buffer<std::string> rb(4);
      co_await put(rb, 0);
      co_await put(rb, 2);
      rb.finish();
      for (;;) {
        auto v = co_await rb.next();
        if (!v) break;
        got.push_back(*v);
      }
    });
    FAIL() << "expected sequence_gap_error";
  } catch (const sequence_gap_error& e) {
    EXPECT_EQ(e.missing(), 1u);
    EXPECT_NE(std::string(e.what()).find("sequence 1 is missing"), std::string::npos);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"v0"}));
}

TEST(reorder_buffer, DuplicateOrAlreadyDeliveredSequenceIsAWiringError) {
  run_coro([](net::io_context&) -> net::awaitable<void> {
    reorder_buffer<std::string> rb(4);
    co_await put(rb, 1);
    EXPECT_THROW(co_await put(rb, 1), std::logic_error);
    co_await put(rb, 0);
    co_await rb.next();
    EXPECT_THROW(co_await put(rb, 0), std::logic_error);
  });
}

TEST(reorder_buffer, CancellationWakesBlockedWorkersAndConsumer) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    reorder_buffer<std::string> rb(1);
    int aborted = 0;
    auto worker = [&](std::uint64_t seq) -> net::awaitable<void> {
      try {
        co_await put(rb, seq);
      } catch (const boost::system::system_error& e) {
        if (e.code() == net::error::operation_aborted) ++aborted;
      }
    };
    auto consumer = [&]() -> net::awaitable<void> {
      try {
        co_await rb.next();
        co_await rb.next();
      } catch (const boost::system::system_error& e) {
        if (e.code() == net::error::operation_aborted) ++aborted;
      }
    };
    net::co_spawn(ctx, worker(5), net::detached);  // beyond the window: blocked
    net::co_spawn(ctx, consumer(), net::detached);  // waits for seq 0
    co_await yield_a_few();
    EXPECT_EQ(aborted, 0);
    rb.cancel();
    co_await yield_a_few();
    EXPECT_EQ(aborted, 2);
  });
}

TEST(reorder_buffer, BlockedPutReactsToItsCancellationSlot) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    reorder_buffer<std::string> rb(1);
    net::cancellation_signal signal;
    std::string outcome = "pending";
    auto worker = [&]() -> net::awaitable<void> {
      try {
        co_await put(rb, 3);
        outcome = "stored";
      } catch (const boost::system::system_error& e) {
        outcome = e.code() == net::error::operation_aborted ? "aborted" : e.what();
      }
    };
    net::co_spawn(ctx, worker(), net::bind_cancellation_slot(signal.slot(), net::detached));
    co_await yield_a_few();
    signal.emit(net::cancellation_type::terminal);
    co_await yield_a_few();
    EXPECT_EQ(outcome, "aborted");
  });
}

TEST(reorder_buffer, ParallelWorkersOnACpuPoolKeepInputOrder) {
  // N workers take numbered items from one channel, work on a thread pool with uneven
  // durations, and put results back; the consumer sees input order.
  idabus::pipeline::cpu_pool pool({.threads = 2});
  auto got = run_coro([&](net::io_context& ctx) -> net::awaitable<std::vector<std::string>> {
    constexpr int workers = 4;
    constexpr int items = 200;
    idabus::pipeline::channel<sequenced<int>> input(8);
    reorder_buffer<std::string> rb(8, workers);
    auto feeder = [&]() -> net::awaitable<void> {
      for (int i = 0; i < items; ++i) {
        sequenced<int> item{static_cast<std::uint64_t>(i), i};
        co_await input.send(std::move(item));
      }
      input.finish();
    };
    auto worker = [&]() -> net::awaitable<void> {
      for (;;) {
        auto item = co_await input.receive();
        if (!item) break;
        int n = item->value;
        auto work = [n] {
          volatile int spin = 0;
          for (int k = 0; k < (n % 7) * 2000; ++k) spin = spin + k;
          return "v" + std::to_string(n);
        };
        auto text = co_await pool.run(work);  // never co_await inside a braced initializer (GCC 12)
        sequenced<std::string> out{item->seq, std::move(text)};
        co_await rb.put(std::move(out));
      }
      rb.finish();
    };
    net::co_spawn(ctx, feeder(), net::detached);
    for (int w = 0; w < workers; ++w) net::co_spawn(ctx, worker(), net::detached);
    co_return co_await drain(rb);
  });
  ASSERT_EQ(got.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(got[i], "v" + std::to_string(i));
}

}  // namespace
