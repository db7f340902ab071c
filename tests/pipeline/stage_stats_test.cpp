#include "pipeline/stage_stats.hpp"

#include "pipeline/channel.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
using idabus::pipeline::channel;
using idabus::pipeline::stage_counters;
using idabus::pipeline::stage_stats;
using idabus::test::run_coro;
using namespace std::chrono_literals;

TEST(stage_stats, CountsItemsAndBytesFromSeveralThreads) {
  stage_stats stats;
  auto& read = stats.add("read");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) read.add_items(1, 10);
    });
  for (auto& t : threads) t.join();
  auto s = stats.snapshot();
  ASSERT_EQ(s.stages.size(), 1u);
  EXPECT_EQ(s.stages[0].name, "read");
  EXPECT_EQ(s.stages[0].items, 4000u);
  EXPECT_EQ(s.stages[0].bytes, 40000u);
}

TEST(stage_stats, SnapshotListsStagesInRegistrationOrderOneLineEach) {
  stage_stats stats;
  stats.add("read").add_items(3, 300);
  auto& compress = stats.add("compress");
  compress.add_blocked_receive(1500ms);
  compress.add_blocked_send(250ms);
  const std::string text = stats.snapshot().to_string();
  EXPECT_EQ(text,
            "read items=3 bytes=300 blocked_receive=0.000s blocked_send=0.000s\n"
            "compress items=0 bytes=0 blocked_receive=1.500s blocked_send=0.250s\n");
}

TEST(stage_stats, PrometheusTextHasOneSampleOfEachMetricPerStage) {
  stage_stats stats;
  auto& write = stats.add("write \"chunks\"");
  write.add_items(7, 7000);
  write.add_blocked_send(2s);
  const std::string text = stats.snapshot().to_prometheus("idabus_backup");
  EXPECT_NE(text.find("# TYPE idabus_backup_stage_items_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("idabus_backup_stage_items_total{stage=\"write \\\"chunks\\\"\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("idabus_backup_stage_bytes_total{stage=\"write \\\"chunks\\\"\"} 7000\n"), std::string::npos);
  EXPECT_NE(text.find("idabus_backup_stage_blocked_seconds_total{stage=\"write \\\"chunks\\\"\",on=\"send\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("on=\"receive\"} 0\n"), std::string::npos);
}

TEST(stage_stats, RejectsAnInvalidMetricPrefix) {
  stage_stats stats;
  EXPECT_THROW(stats.snapshot().to_prometheus("9lives"), std::invalid_argument);
  EXPECT_THROW(stats.snapshot().to_prometheus("has-dash"), std::invalid_argument);
  EXPECT_NO_THROW(stats.snapshot().to_prometheus("ok_prefix:sub"));
}

TEST(stage_stats, CountedChannelOperationsShowWhereBackpressureSits) {
  // A slow consumer: the producer spends its time blocked on send, the consumer almost none
  // blocked on receive.
  stage_stats stats;
  auto& producer_stats = stats.add("producer");
  auto& consumer_stats = stats.add("consumer");
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    channel<int> ch(1);
    auto producer = [&]() -> net::awaitable<void> {
      for (int i = 0; i < 5; ++i) co_await idabus::pipeline::counted_send(ch, i, producer_stats, 4);
      ch.finish();
    };
    net::co_spawn(ctx, producer(), net::detached);
    net::steady_timer slow(ctx);
    for (;;) {
      auto item = co_await idabus::pipeline::counted_receive(ch, consumer_stats);
      if (!item) break;
      consumer_stats.add_items(1);
      slow.expires_after(10ms);
      co_await slow.async_wait(net::use_awaitable);
    }
  });
  auto s = stats.snapshot();
  EXPECT_EQ(s.stages[0].items, 5u);
  EXPECT_EQ(s.stages[0].bytes, 20u);
  EXPECT_EQ(s.stages[1].items, 5u);
  EXPECT_GE(s.stages[0].blocked_send, 25ms);
  EXPECT_LT(s.stages[1].blocked_receive, s.stages[0].blocked_send);
}

}  // namespace
