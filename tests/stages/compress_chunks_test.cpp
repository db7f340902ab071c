#include "stages/compress_chunks.hpp"

#include "pipeline/run_stages.hpp"
#include "support/drain.hpp"
#include "support/run_coro.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <set>

namespace idabus::stages {
namespace {

using test::run_coro;

raw_batch make_batch(std::uint64_t seq, std::size_t bytes) {
  raw_batch b;
  b.seq = seq;
  b.lines = std::string(bytes, static_cast<char>('a' + seq % 26)) + "\n";
  b.documents = seq + 1;
  b.min_ts = static_cast<std::int64_t>(seq);
  b.max_ts = static_cast<std::int64_t>(seq + 10);
  return b;
}

std::string plain_decompress(const std::string& frame) {
  std::string out(ZSTD_getFrameContentSize(frame.data(), frame.size()), '\0');
  const auto n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  return out;
}

struct compress_run {
  std::vector<compressed_chunk> chunks;
  std::uint64_t items = 0;
};

compress_run compress(std::vector<raw_batch> batches, std::size_t workers, bool fail = false) {
  pipeline::cpu_pool pool(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::buffer_pool buffers(4);
  pipeline::stage_stats stats;
  auto& counters = stats.add("compress");
  compress_run run;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<raw_batch> in(1);
    pipeline::reorder_buffer<compressed_chunk> out(2, workers);
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"batches", test::stages::run_send_all(in, std::move(batches), fail)});
    for (std::size_t i = 0; i < workers; ++i) {
      stages.push_back({"compress", run_compress_chunks(in, out, pool, buffers, 3, counters)});
    }
    stages.push_back({"drain", idabus::test::drain_into(out, run.chunks)});
    co_await pipeline::run_stages(std::move(stages));
  });
  run.items = counters.snapshot().items;
  return run;
}

TEST(CompressChunks, ParallelWorkersDeliverChunksInBatchOrder) {
  auto make_all = [] {
    std::vector<raw_batch> batches;
    // Sizes vary so that workers finish out of order.
    for (std::uint64_t i = 0; i < 12; ++i) batches.push_back(make_batch(i, (i % 3 == 0) ? 400000 : 1000));
    return batches;
  };
  auto batches = make_all();
  const auto expected = make_all();
  const auto run = compress(std::move(batches), 3);
  ASSERT_EQ(run.chunks.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) {
    const auto& c = run.chunks[i];
    EXPECT_EQ(plain_decompress(c.file.bytes), expected[i].lines) << i;
    EXPECT_EQ(c.file.sha256, io::files::sha256_hex(c.file.bytes));
    EXPECT_EQ(c.documents, expected[i].documents);
    EXPECT_EQ(c.raw_bytes, expected[i].lines.size());
    EXPECT_EQ(c.min_ts, expected[i].min_ts);
    EXPECT_EQ(c.max_ts, expected[i].max_ts);
  }
  EXPECT_EQ(run.items, 12u);
}

TEST(CompressChunks, EachBatchsMemoryLeaseTravelsOnWithItsChunk) {
  pipeline::byte_budget memory(1 << 20);
  std::vector<raw_batch> batches;
  for (std::uint64_t i = 0; i < 4; ++i) {
    batches.push_back(make_batch(i, 100 * (i + 1)));
    batches.back().memory = *memory.try_acquire(1000 * (i + 1));
  }
  auto run = compress(std::move(batches), 2);
  ASSERT_EQ(run.chunks.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(run.chunks[i].memory.bytes(), 1000 * (i + 1)) << i;
  EXPECT_EQ(memory.in_use(), 10000u);  // held until the chunks are written, not given back here
  run.chunks.clear();
  EXPECT_EQ(memory.in_use(), 0u);
}

TEST(CompressChunks, GivesEachBatchsBufferBackToThePoolOnceCompressed) {
  pipeline::cpu_pool pool(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::buffer_pool buffers(8);
  pipeline::stage_stats stats;
  std::vector<raw_batch> batches;
  std::set<const char*> storage;
  for (std::uint64_t i = 0; i < 3; ++i) {
    batches.push_back(make_batch(i, 1000));
    storage.insert(batches.back().lines.data());
  }
  std::vector<compressed_chunk> chunks;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<raw_batch> in(1);
    pipeline::reorder_buffer<compressed_chunk> out(4, 1);
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"batches", test::stages::run_send_all(in, std::move(batches))});
    stages.push_back({"compress", run_compress_chunks(in, out, pool, buffers, 3, stats.add("compress"))});
    stages.push_back({"drain", idabus::test::drain_into(out, chunks)});
    co_await pipeline::run_stages(std::move(stages));
  });
  ASSERT_EQ(chunks.size(), 3u);
  ASSERT_EQ(buffers.free_buffers(), 3u);
  std::set<const char*> reused;
  for (int i = 0; i < 3; ++i) reused.insert(buffers.take(1).data());
  EXPECT_EQ(reused, storage) << "the pool holds the batches' own buffers";
}

TEST(CompressChunks, EmptyInputEndsWithNoChunk) { EXPECT_TRUE(compress({}, 2).chunks.empty()); }

TEST(CompressChunks, UpstreamErrorIsReportedAndNoChunkFollowsIt) {
  std::vector<raw_batch> batches;
  batches.push_back(make_batch(0, 10));
  const auto failure = test::stages::failure_of([&] {
    compress(std::move(batches), 2, true);
  });
  EXPECT_EQ(failure.stage, "batches");
}

TEST(CompressChunks, BadLevelFailsBeforeReading) {
  pipeline::cpu_pool pool(pipeline::cpu_pool_options{1, "cpu"});
  pipeline::buffer_pool buffers(4);
  pipeline::stage_stats stats;
  EXPECT_THROW(run_coro([&](net::io_context&) -> net::awaitable<void> {
                 pipeline::channel<raw_batch> in(1);
                 pipeline::reorder_buffer<compressed_chunk> out(1);
                 co_await run_compress_chunks(in, out, pool, buffers, 0, stats.add("compress"));
               }),
               std::invalid_argument);
}

TEST(CompressChunks, DownstreamFailureCancelsWorkersBlockedOnTheReorderWindow) {
  pipeline::cpu_pool pool(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::buffer_pool buffers(4);
  pipeline::stage_stats stats;
  auto& counters = stats.add("compress");
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<raw_batch> in(1);
      pipeline::reorder_buffer<compressed_chunk> out(2, 2);
      std::vector<raw_batch> batches;
      for (std::uint64_t i = 0; i < 8; ++i) batches.push_back(make_batch(i, 100));
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"batches", test::stages::run_send_all(in, std::move(batches))});
      stages.push_back({"compress", run_compress_chunks(in, out, pool, buffers, 3, counters)});
      stages.push_back({"compress", run_compress_chunks(in, out, pool, buffers, 3, counters)});
      // Nobody takes chunks: the window fills and the workers block in put().
      stages.push_back({"downstream", test::stages::run_fail_when([&out] { return out.size() == 2; })});
      co_await pipeline::run_stages(std::move(stages));
    });
  });
  EXPECT_EQ(failure.stage, "downstream");
}

}  // namespace
}  // namespace idabus::stages
