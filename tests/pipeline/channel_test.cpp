#include "pipeline/channel.hpp"

#include "support/run_coro.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace {

namespace net = boost::asio;
using idabus::pipeline::channel;
using idabus::test::run_coro;

using idabus::test::yield_a_few;

net::awaitable<void> produce(channel<int>& ch, int count) {
  for (int i = 0; i < count; ++i) co_await ch.send(i);
  ch.finish();
}

net::awaitable<std::vector<int>> consume(channel<int>& ch) {
  std::vector<int> got;
  for (;;) {
    auto item = co_await ch.receive();
    if (!item) break;
    got.push_back(*item);
  }
  co_return got;
}

TEST(channel, DeliversItemsInOrderThenEndOfStream) {
  auto got = run_coro([](net::io_context& ctx) -> net::awaitable<std::vector<int>> {
    channel<int> ch(4);
    net::co_spawn(ctx, produce(ch, 100), net::detached);
    co_return co_await consume(ch);
  });
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
}

TEST(channel, EmptyStreamEndsAtOnce) {
  auto got = run_coro([](net::io_context&) -> net::awaitable<std::vector<int>> {
    channel<int> ch(4);
    ch.finish();
    co_return co_await consume(ch);
  });
  EXPECT_TRUE(got.empty());
}

TEST(channel, BufferedItemsSurviveEndOfStream) {
  auto got = run_coro([](net::io_context&) -> net::awaitable<std::vector<int>> {
    channel<int> ch(3);
    co_await ch.send(1);
    co_await ch.send(2);
    co_await ch.send(3);
    ch.finish();
    co_return co_await consume(ch);
  });
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

TEST(channel, EndOfStreamRepeatsForEveryLaterReceive) {
  run_coro([](net::io_context&) -> net::awaitable<void> {
    channel<int> ch(1);
    ch.finish();
    EXPECT_FALSE((co_await ch.receive()).has_value());
    EXPECT_FALSE((co_await ch.receive()).has_value());
  });
}

TEST(channel, SendSuspendsAtCapacity) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> ch(2);
    int sent = 0;
    auto producer = [&]() -> net::awaitable<void> {
      for (int i = 0; i < 5; ++i) {
        co_await ch.send(i);
        ++sent;
      }
    };
    net::co_spawn(ctx, producer(), net::detached);
    co_await yield_a_few();
    EXPECT_EQ(sent, 2);
    EXPECT_EQ(ch.size(), 2u);
    auto first = co_await ch.receive();
    EXPECT_EQ(first, 0);
    co_await yield_a_few();
    EXPECT_EQ(sent, 3);  // exactly one more fits; the buffer never grows past capacity
    EXPECT_EQ(ch.size(), 2u);
    ch.cancel();
  });
}

TEST(channel, CapacityZeroIsARendezvous) {
  auto got = run_coro([](net::io_context& ctx) -> net::awaitable<std::vector<int>> {
    channel<int> ch(0);
    net::co_spawn(ctx, produce(ch, 10), net::detached);
    co_return co_await consume(ch);
  });
  EXPECT_EQ(got.size(), 10u);
}

TEST(channel, StreamEndsAfterTheLastOfSeveralProducersFinishes) {
  auto got = run_coro([](net::io_context& ctx) -> net::awaitable<std::vector<int>> {
    channel<int> ch(2, 3);
    for (int p = 0; p < 3; ++p) net::co_spawn(ctx, produce(ch, 10), net::detached);
    co_return co_await consume(ch);
  });
  EXPECT_EQ(got.size(), 30u);
}

TEST(channel, SendAfterFinishIsAWiringError) {
  EXPECT_THROW(run_coro([](net::io_context&) -> net::awaitable<void> {
                 channel<int> ch(2);
                 ch.finish();
                 co_await ch.send(1);
               }),
               std::logic_error);
}

// A stream whose items are values or the producer's failure (folly's AsyncPipe style).
using item_or_error = std::variant<int, std::exception_ptr>;

// Sends 1, 2, then its failure, then finishes; ends once all are accepted.
net::awaitable<void> produce_then_fail(channel<item_or_error>& ch) {
  for (int i = 1; i <= 2; ++i) {
    item_or_error value = i;
    co_await ch.send(std::move(value));
  }
  item_or_error failure = std::make_exception_ptr(std::runtime_error("upstream failed"));
  co_await ch.send(std::move(failure));
  ch.finish();
}

// Collects values into `got` until end of stream; rethrows a failure that arrives in the stream.
net::awaitable<void> consume_rethrowing(channel<item_or_error>& ch, std::vector<int>& got) {
  for (;;) {
    auto next = co_await ch.receive();
    if (!next) co_return;
    if (auto* error = std::get_if<std::exception_ptr>(&*next)) std::rethrow_exception(*error);
    got.push_back(std::get<int>(*next));
  }
}

TEST(channel, UpstreamErrorTravelsThroughTheChannelAfterTheItemsBeforeIt) {
  // The producer has sent its items and its failure and finished before the consumer starts, so
  // the failure sits in the buffer at end of stream: it must still reach the consumer, after the
  // items sent before it and before end of stream.
  run_coro([](net::io_context&) -> net::awaitable<void> {
    channel<item_or_error> ch(3);
    co_await produce_then_fail(ch);
    std::vector<int> got;
    std::string error;
    bool reached_end_of_stream = false;
    try {
      co_await consume_rethrowing(ch, got);
      reached_end_of_stream = true;
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
    EXPECT_EQ(error, "upstream failed");
    EXPECT_FALSE(reached_end_of_stream);
    auto after = co_await ch.receive();
    EXPECT_FALSE(after.has_value()) << "end of stream follows the failure";
  });
}

TEST(channel, BlockedSenderWakesWithOperationAbortedWhenItsSlotIsCancelled) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> ch(1);
    co_await ch.send(1);  // full now
    net::cancellation_signal signal;
    std::string outcome = "pending";
    auto sender = [&]() -> net::awaitable<void> {
      try {
        co_await ch.send(2);
        outcome = "sent";
      } catch (const boost::system::system_error& e) {
        outcome = e.code() == net::error::operation_aborted ? "aborted" : e.what();
      }
    };
    net::co_spawn(ctx, sender(), net::bind_cancellation_slot(signal.slot(), net::detached));
    co_await yield_a_few();
    EXPECT_EQ(outcome, "pending");
    signal.emit(net::cancellation_type::terminal);
    co_await yield_a_few();
    EXPECT_EQ(outcome, "aborted");
    // The cancelled value was not delivered; the channel still works.
    ch.finish();
    EXPECT_EQ(co_await ch.receive(), 1);
    EXPECT_FALSE((co_await ch.receive()).has_value());
  });
}

TEST(channel, BlockedReceiverWakesWithOperationAbortedWhenItsSlotIsCancelled) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> ch(1);
    net::cancellation_signal signal;
    std::string outcome = "pending";
    auto receiver = [&]() -> net::awaitable<void> {
      try {
        co_await ch.receive();
        outcome = "received";
      } catch (const boost::system::system_error& e) {
        outcome = e.code() == net::error::operation_aborted ? "aborted" : e.what();
      }
    };
    net::co_spawn(ctx, receiver(), net::bind_cancellation_slot(signal.slot(), net::detached));
    co_await yield_a_few();
    signal.emit(net::cancellation_type::terminal);
    co_await yield_a_few();
    EXPECT_EQ(outcome, "aborted");
    co_await ch.send(7);  // goes to the buffer, not to the cancelled receiver
    EXPECT_EQ(ch.size(), 1u);
  });
}

TEST(channel, CancelAbortsWaitersAndLaterCalls) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> ch(1);
    co_await ch.send(1);
    bool aborted = false;
    auto sender = [&]() -> net::awaitable<void> {
      try {
        co_await ch.send(2);
      } catch (const boost::system::system_error& e) {
        aborted = e.code() == net::error::operation_aborted;
      }
    };
    net::co_spawn(ctx, sender(), net::detached);
    co_await yield_a_few();
    ch.cancel();
    co_await yield_a_few();
    EXPECT_TRUE(aborted);
    EXPECT_THROW(co_await ch.receive(), boost::system::system_error);
  });
}

TEST(channel, MoveOnlyItemsPassThrough) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    channel<std::unique_ptr<std::string>> ch(1);
    auto producer = [&]() -> net::awaitable<void> {
      for (int i = 0; i < 3; ++i) {
        auto p = std::make_unique<std::string>(std::to_string(i));
        co_await ch.send(std::move(p));
      }
      ch.finish();
    };
    net::co_spawn(ctx, producer(), net::detached);
    std::string joined;
    for (;;) {
      auto item = co_await ch.receive();
      if (!item) break;
      joined += **item;
    }
    EXPECT_EQ(joined, "012");
  });
}

TEST(channel, ReceiverResumesOnItsOwnExecutorWhenFedFromAnotherThread) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> ch(1);
    net::thread_pool pool(1);
    auto producer = [&]() -> net::awaitable<void> {
      for (int i = 0; i < 50; ++i) co_await ch.send(i);
      ch.finish();
    };
    net::co_spawn(pool, producer(), net::detached);
    int count = 0;
    for (;;) {
      auto item = co_await ch.receive();
      EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
      if (!item) break;
      ++count;
    }
    EXPECT_EQ(count, 50);
    pool.join();
  });
}

TEST(channel, ManyProducersAndConsumersOnSeveralThreadsLoseNothing) {
  constexpr int producers = 4;
  constexpr int per_producer = 5000;
  channel<int> ch(4, producers);
  std::atomic<long> sum{0};
  std::atomic<int> count{0};
  // Closures outlive their coroutines (a lambda coroutine reads captures through it).
  auto producer = [&](int base) -> net::awaitable<void> {
    for (int i = 0; i < per_producer; ++i) co_await ch.send(base + i);
    ch.finish();
  };
  auto consumer = [&]() -> net::awaitable<void> {
    for (;;) {
      auto item = co_await ch.receive();
      if (!item) break;
      sum += *item;
      ++count;
    }
  };
  {
    net::thread_pool sending(2);
    net::thread_pool receiving(2);
    for (int c = 0; c < 3; ++c) net::co_spawn(receiving, consumer(), net::detached);
    for (int p = 0; p < producers; ++p) net::co_spawn(sending, producer(p * per_producer), net::detached);
    sending.join();
    receiving.join();
  }
  const long n = static_cast<long>(producers) * per_producer;
  EXPECT_EQ(count, n);
  EXPECT_EQ(sum, n * (n - 1) / 2);
}

}  // namespace
