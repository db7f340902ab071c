#include "pipeline/run_stages.hpp"

#include "pipeline/channel.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using idabus::pipeline::channel;
using idabus::pipeline::named_stage;
using idabus::pipeline::run_stages;
using idabus::pipeline::stage_error;
using idabus::test::run_coro;

net::awaitable<void> run_produce(channel<int>& out, int count, int fail_after = -1) {
  for (int i = 0; i < count; ++i) {
    if (i == fail_after) throw std::runtime_error("source broke at item " + std::to_string(i));
    co_await out.send(i);
  }
  out.finish();
}

net::awaitable<void> run_double(channel<int>& in, channel<int>& out) {
  for (;;) {
    auto item = co_await in.receive();
    if (!item) break;
    co_await out.send(*item * 2);
  }
  out.finish();
}

net::awaitable<void> run_collect(channel<int>& in, std::vector<int>& into, int fail_at = -1) {
  for (;;) {
    auto item = co_await in.receive();
    if (!item) break;
    if (static_cast<int>(into.size()) == fail_at) throw std::runtime_error("sink is full");
    into.push_back(*item);
  }
}

net::awaitable<void> run_forever(bool& cancelled) {
  net::steady_timer timer(co_await net::this_coro::executor, std::chrono::hours(1));
  try {
    co_await timer.async_wait(net::use_awaitable);
  } catch (const boost::system::system_error&) {
    cancelled = true;
    throw;
  }
}

std::vector<named_stage> three_stage_pipeline(channel<int>& a, channel<int>& b, std::vector<int>& sink,
                                              int count, int source_fail_after = -1, int sink_fail_at = -1) {
  std::vector<named_stage> stages;
  stages.push_back({"source", run_produce(a, count, source_fail_after)});
  stages.push_back({"double", run_double(a, b)});
  stages.push_back({"sink", run_collect(b, sink, sink_fail_at)});
  return stages;
}

TEST(run_stages, RunsAllStagesToCompletion) {
  std::vector<int> sink;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    channel<int> a(2), b(2);
    co_await run_stages(three_stage_pipeline(a, b, sink, 50));
  });
  ASSERT_EQ(sink.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sink[i], 2 * i);
}

TEST(run_stages, EmptyInputCompletes) {
  std::vector<int> sink;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    channel<int> a(2), b(2);
    co_await run_stages(three_stage_pipeline(a, b, sink, 0));
  });
  EXPECT_TRUE(sink.empty());
}

TEST(run_stages, NoStagesCompletesAtOnce) {
  run_coro([](net::io_context&) -> net::awaitable<void> { co_await run_stages({}); });
}

TEST(run_stages, UpstreamErrorIsReportedWithItsStageNameAndOthersAreCancelled) {
  std::vector<int> sink;
  try {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      channel<int> a(2), b(2);
      co_await run_stages(three_stage_pipeline(a, b, sink, 50, 10));
    });
    FAIL() << "expected stage_error";
  } catch (const stage_error& e) {
    EXPECT_EQ(e.stage(), "source");
    EXPECT_STREQ(e.what(), "stage 'source' failed: source broke at item 10");
    try {
      e.rethrow_nested();
    } catch (const std::runtime_error& original) {
      EXPECT_STREQ(original.what(), "source broke at item 10");
    }
  }
  EXPECT_LE(sink.size(), 10u);
}

TEST(run_stages, FailingDownstreamDoesNotLeaveUpstreamBlocked) {
  // The sink fails while source and transform are blocked sending into full channels.
  std::vector<int> sink;
  try {
    run_coro(
        [&](net::io_context&) -> net::awaitable<void> {
          channel<int> a(1), b(1);
          co_await run_stages(three_stage_pipeline(a, b, sink, 1000, -1, 3));
        },
        std::chrono::seconds(5));
    FAIL() << "expected stage_error";
  } catch (const stage_error& e) {
    EXPECT_EQ(e.stage(), "sink");
    EXPECT_STREQ(e.what(), "stage 'sink' failed: sink is full");
  }
  EXPECT_EQ(sink.size(), 3u);
}

TEST(run_stages, CancellationIsNeverReportedAsTheRootCause) {
  // "waiter" ends with operation_aborted after the real failure; the real failure is reported.
  bool waiter_cancelled = false;
  try {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      std::vector<named_stage> stages;
      stages.push_back({"waiter", run_forever(waiter_cancelled)});
      stages.push_back({"broken", []() -> net::awaitable<void> {
                          co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
                          throw std::invalid_argument("bad option 'PageSize': expected a positive integer");
                        }()});
      co_await run_stages(std::move(stages));
    });
    FAIL() << "expected stage_error";
  } catch (const stage_error& e) {
    EXPECT_EQ(e.stage(), "broken");
    EXPECT_NE(std::string(e.what()).find("PageSize"), std::string::npos);
  }
  EXPECT_TRUE(waiter_cancelled);
}

TEST(run_stages, ARealFailureAfterAnEarlierCancellationIsTheRootCause) {
  try {
    run_coro([](net::io_context&) -> net::awaitable<void> {
      std::vector<named_stage> stages;
      stages.push_back({"aborts", []() -> net::awaitable<void> {
                          throw boost::system::system_error(net::error::operation_aborted);
                          co_return;
                        }()});
      stages.push_back({"flush", []() -> net::awaitable<void> {
                          bool cancelled = false;
                          try {
                            co_await run_forever(cancelled);
                          } catch (const boost::system::system_error&) {
                          }
                          throw std::runtime_error("flush failed while stopping");
                        }()});
      co_await run_stages(std::move(stages));
    });
    FAIL() << "expected stage_error";
  } catch (const stage_error& e) {
    EXPECT_EQ(e.stage(), "flush");
  }
}

TEST(run_stages, OperationAbortedAloneIsReportedAsCancellation) {
  try {
    run_coro([](net::io_context&) -> net::awaitable<void> {
      std::vector<named_stage> stages;
      stages.push_back({"aborts", []() -> net::awaitable<void> {
                          throw boost::system::system_error(net::error::operation_aborted);
                          co_return;
                        }()});
      co_await run_stages(std::move(stages));
    });
    FAIL() << "expected system_error";
  } catch (const stage_error&) {
    FAIL() << "cancellation was reported as a stage failure";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), net::error::operation_aborted);
  }
}

TEST(run_stages, DownstreamCancellationWhileBlockedCancelsEveryStage) {
  // Cancelling the run_stages awaitable itself reaches stages blocked in channels and timers.
  bool waiter_cancelled = false;
  std::vector<int> sink;
  bool threw_cancellation = false;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> a(1), b(1);
    net::cancellation_signal signal;
    bool done = false;
    auto stages = three_stage_pipeline(a, b, sink, 1'000'000);
    stages.push_back({"waiter", run_forever(waiter_cancelled)});
    auto runner = [&](std::vector<named_stage> s) -> net::awaitable<void> {
      try {
        co_await run_stages(std::move(s));
      } catch (const boost::system::system_error& e) {
        threw_cancellation = e.code() == net::error::operation_aborted;
      }
      done = true;
    };
    net::co_spawn(ctx, runner(std::move(stages)), net::bind_cancellation_slot(signal.slot(), net::detached));
    net::steady_timer t(ctx, std::chrono::milliseconds(20));
    co_await t.async_wait(net::use_awaitable);
    signal.emit(net::cancellation_type::terminal);
    while (!done) co_await net::post(ctx, net::use_awaitable);
  });
  EXPECT_TRUE(threw_cancellation);
  EXPECT_TRUE(waiter_cancelled);
  EXPECT_LT(sink.size(), 1'000'000u);
}

}  // namespace
