#include "stages/batch_documents.hpp"

#include "pipeline/run_stages.hpp"
#include "support/run_coro.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <gtest/gtest.h>

namespace idabus::stages {
namespace {

using test::run_coro;
using test::stages::make_document;
using test::stages::make_page;

std::vector<raw_batch> batch_pages(std::vector<std::vector<std::string>> pages, std::size_t chunk_bytes,
                                   pipeline::stage_counters* counters = nullptr) {
  pipeline::stage_stats stats;
  auto& c = counters ? *counters : stats.add("batch");
  std::vector<raw_batch> got;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> in(2);
    pipeline::channel<raw_batch> out(1);
    std::vector<io::cosmos::query_page> page_items;
    for (const auto& docs : pages) page_items.push_back(make_page(docs));
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
    stages.push_back({"batch", run_batch_documents(in, out, chunk_bytes, c)});
    stages.push_back({"collect", test::stages::run_collect(out, got)});
    co_await pipeline::run_stages(std::move(stages));
  });
  return got;
}

TEST(BatchDocuments, WritesEachDocumentsRawBytesAsOneLine) {
  const std::string a = R"({"id":"a","n":1.50,"s":"Zo\u00eb \"q\"","_ts":20})";
  const std::string b = R"({ "id" : "b" , "_ts" : 10 })";
  const auto got = batch_pages({{a}, {b}}, 1 << 20);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].lines, a + "\n" + b + "\n");
  EXPECT_EQ(got[0].documents, 2u);
  EXPECT_EQ(got[0].seq, 0u);
  EXPECT_EQ(got[0].min_ts, 10);
  EXPECT_EQ(got[0].max_ts, 20);
}

TEST(BatchDocuments, RollsOverBeforeABatchWouldPassChunkBytes) {
  // 10 documents of 100 bytes (101 with the newline); 350 bytes per chunk -> 3 + 3 + 3 + 1.
  std::vector<std::string> docs;
  for (int i = 0; i < 10; ++i) docs.push_back(make_document("d" + std::to_string(i), 100 + i, 100));
  ASSERT_EQ(docs[0].size(), 100u);
  pipeline::stage_stats stats;
  auto& counters = stats.add("batch");
  const auto got = batch_pages({{docs[0], docs[1], docs[2], docs[3]}, {docs[4], docs[5], docs[6], docs[7], docs[8], docs[9]}},
                               350, &counters);
  ASSERT_EQ(got.size(), 4u);
  std::string all;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, i);
    EXPECT_LE(got[i].lines.size(), 350u);
    all += got[i].lines;
  }
  EXPECT_EQ(got[0].documents, 3u);
  EXPECT_EQ(got[3].documents, 1u);
  EXPECT_EQ(got[1].min_ts, 103);
  EXPECT_EQ(got[1].max_ts, 105);
  std::string expected;
  for (const auto& d : docs) expected += d + "\n";
  EXPECT_EQ(all, expected);
  EXPECT_EQ(counters.snapshot().items, 4u);
  EXPECT_EQ(counters.snapshot().bytes, expected.size());
}

TEST(BatchDocuments, ADocumentLargerThanAChunkIsABatchOfItsOwn) {
  const auto big = make_document("big", 1, 500);
  const auto small = make_document("s", 2, 50);
  const auto got = batch_pages({{big, small, big}}, 200);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].lines, big + "\n");
  EXPECT_EQ(got[1].lines, small + "\n");
  EXPECT_EQ(got[2].lines, big + "\n");
}

TEST(BatchDocuments, RawNewlinesBetweenTokensBecomeSpaces) {
  const auto got = batch_pages({{"{\"id\":\"a\",\r\n\"_ts\":1}"}}, 1000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].lines, "{\"id\":\"a\",  \"_ts\":1}\n");
}

TEST(BatchDocuments, ALoneCarriageReturnOrLineFeedBecomesASpace) {
  const auto got = batch_pages({{"{\"id\":\"a\",\r\"_ts\":1}", "{\"id\":\"b\",\n\"_ts\":2}"}}, 1000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].lines, "{\"id\":\"a\", \"_ts\":1}\n{\"id\":\"b\", \"_ts\":2}\n");
}

TEST(BatchDocuments, EmptyStreamGivesNoBatch) {
  EXPECT_TRUE(batch_pages({}, 100).empty());
  EXPECT_TRUE(batch_pages({{}, {}}, 100).empty());  // pages without documents
}

TEST(BatchDocuments, ZeroChunkBytesIsRejected) {
  EXPECT_THROW(batch_pages({{R"({"id":"a"})"}}, 0), pipeline::stage_error);
}

TEST(BatchDocuments, UpstreamErrorSendsNoPartialBatch) {
  pipeline::stage_stats stats;
  std::vector<raw_batch> got;
  bool finished = true;
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<io::cosmos::query_page> in(2);
      pipeline::channel<raw_batch> out(1);
      std::vector<io::cosmos::query_page> page_items;
      page_items.push_back(make_page({R"({"id":"a"})"}));
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items), true)});
      stages.push_back({"batch", run_batch_documents(in, out, 1000, stats.add("batch"))});
      stages.push_back({"collect", test::stages::run_collect(out, got)});
      co_await test::stages::run_noting_finished(std::move(stages), out, finished);
    });
  });
  EXPECT_EQ(failure.stage, "pages");
  EXPECT_TRUE(got.empty()) << "the half-filled batch must not be sent as if the stream had ended";
  EXPECT_FALSE(finished);
}

TEST(BatchDocuments, DownstreamFailureCancelsABatcherBlockedOnSend) {
  pipeline::stage_stats stats;
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<io::cosmos::query_page> in(8);
      pipeline::channel<raw_batch> out(1);
      std::vector<io::cosmos::query_page> page_items;
      for (int i = 0; i < 5; ++i) page_items.push_back(make_page({make_document("d" + std::to_string(i), 1, 100)}));
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
      stages.push_back({"batch", run_batch_documents(in, out, 150, stats.add("batch"))});  // one document per batch
      stages.push_back({"downstream", test::stages::run_fail_when([&out] { return out.size() == 1; })});
      co_await pipeline::run_stages(std::move(stages));
    });
  });
  EXPECT_EQ(failure.stage, "downstream");
}

}  // namespace
}  // namespace idabus::stages
