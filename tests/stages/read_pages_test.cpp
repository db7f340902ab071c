#include "stages/read_pages.hpp"

#include "pipeline/run_stages.hpp"
#include "support/run_coro.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <gtest/gtest.h>

namespace idabus::stages {
namespace {

using test::run_coro;
using test::stages::make_page;

// A source handing `pages` to the sink, then returning stats (or throwing after the pages).
page_source scripted_source(std::vector<std::vector<std::string>> pages, bool fail = false) {
  return [pages = std::move(pages), fail](io::cosmos::page_sink sink) -> net::awaitable<io::cosmos::parallel_query_stats> {
    io::cosmos::parallel_query_stats stats;
    for (const auto& docs : pages) {
      auto page = make_page(docs);
      stats.documents += page.documents.size();
      ++stats.pages;
      co_await sink(std::move(page));
    }
    if (fail) throw std::runtime_error("HTTP 500 from the server");
    stats.request_charge = 2.5;
    co_return stats;
  };
}

TEST(ReadPages, SendsEveryPageThenEndsTheStream) {
  pipeline::stage_stats stats;
  auto& counters = stats.add("read");
  io::cosmos::parallel_query_stats query_stats;
  std::vector<io::cosmos::query_page> got;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> pages(1);
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"read", run_read_pages(scripted_source({{R"({"id":"a"})", R"({"id":"b"})"}, {R"({"id":"c"})"}}),
                                             pages, counters, query_stats)});
    stages.push_back({"collect", test::stages::run_collect(pages, got)});
    co_await pipeline::run_stages(std::move(stages));
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].documents.at(1).raw, R"({"id":"b"})");
  EXPECT_EQ(got[1].documents.at(0).raw, R"({"id":"c"})");
  EXPECT_EQ(query_stats.pages, 2u);
  EXPECT_DOUBLE_EQ(query_stats.request_charge, 2.5);
  EXPECT_EQ(counters.snapshot().items, 2u);
  EXPECT_EQ(counters.snapshot().bytes, got[0].body->size() + got[1].body->size());
}

TEST(ReadPages, EmptySourceEndsTheStreamAtOnce) {
  pipeline::stage_stats stats;
  io::cosmos::parallel_query_stats query_stats;
  std::vector<io::cosmos::query_page> got;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> pages(1);
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"read", run_read_pages(scripted_source({}), pages, stats.add("read"), query_stats)});
    stages.push_back({"collect", test::stages::run_collect(pages, got)});
    co_await pipeline::run_stages(std::move(stages));
  });
  EXPECT_TRUE(got.empty());
}

TEST(ReadPages, SourceErrorIsNotEndOfStream) {
  pipeline::stage_stats stats;
  io::cosmos::parallel_query_stats query_stats;
  std::vector<io::cosmos::query_page> got;
  bool finished = false;
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<io::cosmos::query_page> pages(4);
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"read", run_read_pages(scripted_source({{R"({"id":"a"})"}}, true), pages, stats.add("read"),
                                               query_stats)});
      stages.push_back({"collect", test::stages::run_collect(pages, got)});
      co_await test::stages::run_noting_finished(std::move(stages), pages, finished);
    });
  });
  EXPECT_EQ(failure.stage, "read");
  EXPECT_NE(failure.message.find("HTTP 500"), std::string::npos);
  EXPECT_FALSE(finished) << "a failed read must not look like a complete collection";
}

TEST(ReadPages, DownstreamFailureCancelsAReaderBlockedOnAFullChannel) {
  pipeline::stage_stats stats;
  io::cosmos::parallel_query_stats query_stats;
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<io::cosmos::query_page> pages(1);
      std::vector<std::vector<std::string>> many(10, {R"({"id":"a"})"});
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"read", run_read_pages(scripted_source(many), pages, stats.add("read"), query_stats)});
      // Nobody reads: the reader fills the channel and blocks on the second send.
      stages.push_back({"downstream", test::stages::run_fail_when([&pages] { return pages.size() == 1; })});
      co_await pipeline::run_stages(std::move(stages));
    });
  });
  EXPECT_EQ(failure.stage, "downstream");
}

}  // namespace
}  // namespace idabus::stages
