#include "stages/batch_documents.hpp"

#include "pipeline/run_stages.hpp"
#include "support/run_coro.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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
  pipeline::byte_budget memory(std::size_t{1} << 30);
  pipeline::buffer_pool buffers(4);
  std::vector<raw_batch> got;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> in(2);
    pipeline::channel<raw_batch> out(1);
    std::vector<io::cosmos::query_page> page_items;
    for (const auto& docs : pages) page_items.push_back(make_page(docs));
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
    stages.push_back({"batch", run_batch_documents(in, out, chunk_bytes, memory, buffers, c)});
    stages.push_back({"collect", test::stages::run_collect(out, got)});
    co_await pipeline::run_stages(std::move(stages));
  });
  for (auto& b : got) b.memory.release();  // the budget ends here
  return got;
}

// Receives every batch, noting what it holds of `memory` and whether the batcher is waiting for
// room at that moment, then gives the batch's bytes back.
net::awaitable<void> run_collect_releasing(pipeline::channel<raw_batch>& in, pipeline::byte_budget& memory,
                                           std::vector<std::size_t>& leased, std::vector<std::size_t>& waiting) {
  auto ex = co_await net::this_coro::executor;
  while (auto batch = co_await in.receive()) {
    for (int i = 0; i < 4; ++i) co_await net::post(ex, net::use_awaitable);  // let the batcher run ahead
    leased.push_back(batch->memory.bytes());
    waiting.push_back(memory.waiting());
    batch->memory.release();
  }
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

TEST(BatchDocuments, EachBatchHoldsItsCapacityOfTheBudgetAndTheNextWaitsForRoom) {
  // 10 documents of 100 bytes, 350 bytes per chunk -> 4 batches; the budget has room for one.
  std::vector<io::cosmos::query_page> page_items;
  for (int i = 0; i < 10; ++i) page_items.push_back(make_page({make_document("d" + std::to_string(i), 1, 100)}));
  pipeline::stage_stats stats;
  pipeline::byte_budget memory(350);
  pipeline::buffer_pool buffers(4);
  std::vector<std::size_t> leased, waiting;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> in(16);
    pipeline::channel<raw_batch> out(4);
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
    stages.push_back({"batch", run_batch_documents(in, out, 350, memory, buffers, stats.add("batch"))});
    stages.push_back({"collect", run_collect_releasing(out, memory, leased, waiting)});
    co_await pipeline::run_stages(std::move(stages));
  });
  EXPECT_EQ(leased, (std::vector<std::size_t>{350, 350, 350, 350}));
  // While the collector held a batch, the batcher (with room in `out`) waited for the budget.
  EXPECT_EQ(waiting, (std::vector<std::size_t>{1, 1, 1, 0}));
  EXPECT_EQ(memory.in_use(), 0u);
  EXPECT_EQ(memory.peak(), 350u);
}

TEST(BatchDocuments, ADocumentLargerThanAChunkLeasesItsOwnSize) {
  pipeline::stage_stats stats;
  pipeline::byte_budget memory(1 << 20);
  pipeline::buffer_pool buffers(4);
  std::vector<std::size_t> leased, waiting;
  const auto big = make_document("big", 1, 1000);
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> in(2);
    pipeline::channel<raw_batch> out(1);
    std::vector<io::cosmos::query_page> page_items;
    page_items.push_back(make_page({big}));
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
    stages.push_back({"batch", run_batch_documents(in, out, 150, memory, buffers, stats.add("batch"))});
    stages.push_back({"collect", run_collect_releasing(out, memory, leased, waiting)});
    co_await pipeline::run_stages(std::move(stages));
  });
  EXPECT_EQ(leased, (std::vector<std::size_t>{big.size() + 1}));
}

TEST(BatchDocuments, WritesEachBatchIntoABufferTakenFromThePool) {
  pipeline::stage_stats stats;
  pipeline::byte_budget memory(1 << 20);
  pipeline::buffer_pool buffers(4);
  auto reused = buffers.take(1000);
  const char* storage = reused.data();
  buffers.give(std::move(reused));
  std::vector<raw_batch> got;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<io::cosmos::query_page> in(2);
    pipeline::channel<raw_batch> out(4);
    std::vector<io::cosmos::query_page> page_items;
    page_items.push_back(make_page({make_document("a", 1, 100), make_document("b", 2, 100)}));
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
    stages.push_back({"batch", run_batch_documents(in, out, 150, memory, buffers, stats.add("batch"))});
    stages.push_back({"collect", test::stages::run_collect(out, got)});
    co_await pipeline::run_stages(std::move(stages));
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].lines.data(), storage) << "the first batch reuses the buffer the pool had";
  EXPECT_NE(got[1].lines.data(), storage) << "a batch still held is never handed out again";
  EXPECT_EQ(got[0].lines, make_document("a", 1, 100) + "\n");
  EXPECT_EQ(got[1].lines, make_document("b", 2, 100) + "\n");
  for (auto& b : got) b.memory.release();
}

TEST(BatchDocuments, ZeroChunkBytesIsRejected) {
  EXPECT_THROW(batch_pages({{R"({"id":"a"})"}}, 0), pipeline::stage_error);
}

TEST(BatchDocuments, UpstreamErrorSendsNoPartialBatch) {
  pipeline::stage_stats stats;
  pipeline::byte_budget memory(1 << 20);
  pipeline::buffer_pool buffers(4);
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
      stages.push_back({"batch", run_batch_documents(in, out, 1000, memory, buffers, stats.add("batch"))});
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
  pipeline::byte_budget memory(1 << 20);
  pipeline::buffer_pool buffers(4);
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<io::cosmos::query_page> in(8);
      pipeline::channel<raw_batch> out(1);
      std::vector<io::cosmos::query_page> page_items;
      for (int i = 0; i < 5; ++i) page_items.push_back(make_page({make_document("d" + std::to_string(i), 1, 100)}));
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"pages", test::stages::run_send_all(in, std::move(page_items))});
      stages.push_back({"batch", run_batch_documents(in, out, 150, memory, buffers, stats.add("batch"))});  // one document per batch
      stages.push_back({"downstream", test::stages::run_fail_when([&out] { return out.size() == 1; })});
      co_await pipeline::run_stages(std::move(stages));
    });
  });
  EXPECT_EQ(failure.stage, "downstream");
}

}  // namespace
}  // namespace idabus::stages
