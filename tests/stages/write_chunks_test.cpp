#include "stages/write_chunks.hpp"

#include "io/files/atomic_file.hpp"
#include "pipeline/run_stages.hpp"
#include "support/page_cache.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace idabus::stages {
namespace {

namespace fs = std::filesystem;
using test::run_coro;

compressed_chunk make_chunk(const std::string& raw, std::uint64_t docs) {
  io::files::chunk_encoder encoder(1);
  compressed_chunk c;
  c.file = encoder.encode(raw);
  c.documents = docs;
  c.raw_bytes = raw.size();
  c.min_ts = 5;
  c.max_ts = 9;
  return c;
}

enum class then { finish, fail, hang };

// Puts the chunks in the given sequence order (any order), then finishes, throws, or waits
// until cancelled.
net::awaitable<void> run_put(pipeline::reorder_buffer<compressed_chunk>& out, std::vector<compressed_chunk> chunks,
                             std::vector<std::uint64_t> order, then end) {
  for (auto seq : order) {
    pipeline::sequenced<compressed_chunk> item{seq, std::move(chunks[seq])};
    co_await out.put(std::move(item));
  }
  if (end == then::fail) throw std::runtime_error("compressor broke");
  if (end == then::hang) {
    net::steady_timer forever(co_await net::this_coro::executor, std::chrono::hours(1));
    co_await forever.async_wait(net::use_awaitable);
  }
  out.finish();
}

struct write_run {
  std::vector<io::files::chunk_entry> written;
  std::uint64_t files = 0;
};

write_run write(const fs::path& set_dir, std::vector<compressed_chunk> chunks, std::vector<std::uint64_t> order,
                io::files::chunk_phase phase = io::files::chunk_phase::basis, std::uint32_t first = 1,
                bool fail = false) {
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::stage_stats stats;
  auto& counters = stats.add("write");
  write_run run;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::reorder_buffer<compressed_chunk> in(4);
    write_chunks_options options;
    options.set_dir = set_dir;
    options.collection = "Resources";
    options.phase = phase;
    options.first_number = first;
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"compress", run_put(in, std::move(chunks), std::move(order), fail ? then::fail : then::finish)});
    stages.push_back({"write", run_write_chunks(in, file_thread, std::move(options), run.written, counters)});
    co_await pipeline::run_stages(std::move(stages));
  });
  run.files = counters.snapshot().items;
  return run;
}

TEST(WriteChunks, WritesChunksInSequenceOrderWithManifestEntries) {
  test::temp_dir dir;
  auto make_all = [] {
    return test::stages::vector_of(make_chunk("{\"id\":\"0\"}\n", 1), make_chunk("{\"id\":\"1\"}\n{}\n", 2),
                                   make_chunk("{\"id\":\"2\"}\n", 1));
  };
  auto chunks = make_all();
  const auto expected = make_all();
  const auto run = write(dir.path, std::move(chunks), {2, 0, 1}, io::files::chunk_phase::delta, 7);
  ASSERT_EQ(run.written.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& e = run.written[i];
    EXPECT_EQ(e.file, "Resources/" + io::files::chunk_file_name(static_cast<std::uint32_t>(7 + i)));
    EXPECT_EQ(e.phase, io::files::chunk_phase::delta);
    EXPECT_EQ(e.documents, expected[i].documents);
    EXPECT_EQ(e.raw_bytes, expected[i].raw_bytes);
    EXPECT_EQ(e.bytes, expected[i].file.bytes.size());
    EXPECT_EQ(e.sha256, expected[i].file.sha256);
    EXPECT_EQ(e.min_ts, 5);
    EXPECT_EQ(e.max_ts, 9);
    EXPECT_EQ(io::files::read_file(dir.path / e.file), expected[i].file.bytes);
  }
  EXPECT_EQ(run.files, 3u);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir.path / "Resources")) ++entries;
  EXPECT_EQ(entries, 3u) << "no temporary files left";
}

TEST(WriteChunks, LargeChunkFilesSkipThePageCache) {
  test::temp_dir dir;
  if (!test::direct_io_works(dir.path)) GTEST_SKIP() << "the temp directory's file system has no O_DIRECT";
  std::string raw;  // hardly compressible: the frame is as large as the text
  for (std::uint32_t x = 1; raw.size() < 4 * io::files::direct_io_min_bytes;) {
    x = x * 1664525u + 1013904223u;
    raw.push_back(static_cast<char>(x >> 24));
  }
  auto chunk = make_chunk(raw, 1);
  ASSERT_GE(chunk.file.bytes.size(), 2 * io::files::direct_io_min_bytes);
  const auto bytes = chunk.file.bytes;
  const auto run = write(dir.path, test::stages::vector_of(std::move(chunk)), {0});
  ASSERT_EQ(run.written.size(), 1u);
  EXPECT_LE(test::cached_pages(dir.path / run.written[0].file), 1u);
  EXPECT_EQ(io::files::read_file(dir.path / run.written[0].file), bytes);
}

TEST(WriteChunks, EmptyInputWritesNothing) {
  test::temp_dir dir;
  const auto run = write(dir.path, {}, {});
  EXPECT_TRUE(run.written.empty());
  EXPECT_FALSE(fs::exists(dir.path / "Resources"));
}

TEST(WriteChunks, UpstreamErrorKeepsOnlyCompleteChunksBeforeIt) {
  test::temp_dir dir;
  auto chunks = test::stages::vector_of(make_chunk("{}\n", 1), make_chunk("{}\n", 1));
  // Chunk 1 arrives but chunk 0 never does: nothing may be written out of order.
  const auto failure = test::stages::failure_of([&] {
    write(dir.path, std::move(chunks), {1}, io::files::chunk_phase::basis, 1, true);
  });
  EXPECT_EQ(failure.stage, "compress");
  EXPECT_FALSE(fs::exists(dir.path / "Resources" / io::files::chunk_file_name(1)));
  EXPECT_FALSE(fs::exists(dir.path / "Resources" / io::files::chunk_file_name(2)));
}

TEST(WriteChunks, FileErrorNamesTheChunk) {
  test::temp_dir dir;
  fs::create_directories(dir.path / "Resources" / io::files::chunk_file_name(1) / "blocker");
  const auto failure = test::stages::failure_of([&] {
    write(dir.path, test::stages::vector_of(make_chunk("{}\n", 1)), {0});
  });
  EXPECT_EQ(failure.stage, "write");
  EXPECT_NE(failure.message.find("000001.jsonl.zst"), std::string::npos) << failure.message;
}

TEST(WriteChunks, CancellationWhileWaitingForAChunkStopsTheWriter) {
  test::temp_dir dir;
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::stage_stats stats;
  std::vector<io::files::chunk_entry> written;
  const auto failure = test::stages::failure_of([&] {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::reorder_buffer<compressed_chunk> in(4);
      write_chunks_options options;
      options.set_dir = dir.path;
      options.collection = "Resources";
      std::vector<pipeline::named_stage> stages;
      // Sequence 1 arrives, 0 never: the writer waits in next() until a sibling fails.
      stages.push_back({"compress", run_put(in, test::stages::vector_of(make_chunk("{}\n", 1), make_chunk("{}\n", 1)), {1}, then::hang)});
      stages.push_back({"write", run_write_chunks(in, file_thread, std::move(options), written, stats.add("write"))});
      stages.push_back({"sibling", test::stages::run_fail_when([&in] { return in.size() == 1; })});
      co_await pipeline::run_stages(std::move(stages));
    });
  });
  EXPECT_EQ(failure.stage, "sibling");
  EXPECT_TRUE(written.empty());
}

}  // namespace
}  // namespace idabus::stages
