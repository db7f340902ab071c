#include "stages/backup.hpp"

#include "io/files/chunk.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>

// run_backup reads from Cosmos: tests/integration/backup_emulator_test.cpp runs it against the
// real cosmos-emulator. Here: the query it sends, the option checks, and the pipelines after the
// reading (run_backup_pipelines) fed by pages made here.

namespace idabus::stages {
namespace {

namespace fs = std::filesystem;

// `pages` pages of `per_page` documents of about `document_bytes` each, yielding to the other
// coroutines between pages (as a real reader waits for the server), so the collections of a
// pass run side by side.
page_source made_pages(std::string collection, int pages, int per_page, std::size_t document_bytes) {
  return [=](io::cosmos::page_sink sink) -> net::awaitable<io::cosmos::parallel_query_stats> {
    auto ex = co_await net::this_coro::executor;
    io::cosmos::parallel_query_stats stats;
    for (int p = 0; p < pages; ++p) {
      std::vector<std::string> documents;
      for (int d = 0; d < per_page; ++d) {
        documents.push_back(test::stages::make_document(collection + "-" + std::to_string(p * per_page + d), 1,
                                                        document_bytes));
      }
      auto page = test::stages::make_page(documents);
      co_await sink(std::move(page));
      ++stats.pages;
      co_await net::post(ex, net::use_awaitable);
    }
    co_return stats;
  };
}

// Three collections of 8 pages × 10 documents of 400 bytes: 8 chunks of 4 KiB each, enough for
// every collection to fill its own pipeline (a chunk being filled, one waiting, two being
// compressed, two in the reorder window, one being written).
std::vector<collection_source> three_collections() {
  std::vector<collection_source> sources;
  for (std::string name : {"Resources", "Events", "WorkflowExecutions"}) {
    sources.push_back({name, 1, made_pages(name, 8, 10, 400)});
  }
  return sources;
}

backup_options small_chunks(std::size_t chunks_in_flight) {
  backup_options o;
  o.chunk_bytes = 4096;
  o.chunks_in_flight = chunks_in_flight;
  return o;
}

backup_result back_up(std::vector<collection_source> sources, const fs::path& set_dir, backup_options options) {
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::stage_stats stats;
  return test::run_coro([&](net::io_context&) -> net::awaitable<backup_result> {
    co_return co_await run_backup_pipelines(std::move(sources), cpu, file_thread, set_dir,
                                            io::files::chunk_phase::basis, options, stats);
  });
}

// The lines (documents) in `c`'s chunk files, each file checked against its SHA-256.
std::uint64_t lines_in_files(const fs::path& set_dir, const collection_result& c) {
  std::uint64_t lines = 0;
  io::files::chunk_decoder decoder;
  for (const auto& chunk : c.chunks) {
    const auto raw = decoder.read((set_dir / chunk.file).string(), chunk.sha256);
    lines += static_cast<std::uint64_t>(std::count(raw.begin(), raw.end(), '\n'));
  }
  return lines;
}

TEST(Backup, ChunksInFlightOfAllCollectionsTogetherStayWithinTheSharedBound) {
  test::temp_dir dir;
  const auto result = back_up(three_collections(), dir.path, small_chunks(2));
  EXPECT_LE(result.peak_chunk_bytes_in_flight, 2u * 4096);
  EXPECT_GE(result.peak_chunk_bytes_in_flight, 4096u);
  ASSERT_EQ(result.collections.size(), 3u);
  for (const auto& c : result.collections) {
    EXPECT_EQ(c.documents, 80u) << c.name;
    EXPECT_EQ(c.chunks.size(), 8u) << c.name;
    EXPECT_EQ(lines_in_files(dir.path, c), 80u) << c.name;
  }
}

TEST(Backup, OneChunkInFlightForTheWholeJobStillCompletesEveryCollection) {
  // Each batcher must wait while another collection holds the only chunk, half filled, and the
  // collection holding it must finish that chunk without any room: no collection waits on itself.
  test::temp_dir dir;
  const auto result = back_up(three_collections(), dir.path, small_chunks(1));
  EXPECT_LE(result.peak_chunk_bytes_in_flight, 4096u);
  for (const auto& c : result.collections) {
    EXPECT_EQ(c.documents, 80u) << c.name;
    EXPECT_EQ(lines_in_files(dir.path, c), 80u) << c.name;
  }
}

TEST(Backup, FullPassReadsEverything) {
  const auto q = backup_query(std::nullopt);
  EXPECT_EQ(q.text, "SELECT * FROM c");
  EXPECT_TRUE(q.parameters.empty());
}

TEST(Backup, IncrementalPassFiltersOnTsInclusive) {
  const auto q = backup_query(1700000000);
  EXPECT_EQ(q.text, "SELECT * FROM c WHERE c._ts >= @since");
  ASSERT_EQ(q.parameters.size(), 1u);
  EXPECT_EQ(q.parameters[0].name, "@since");
  EXPECT_EQ(q.parameters[0].json_value, "1700000000");
}

TEST(Backup, ExcludedIdsAreLeftOutByParameterInBothKindsOfPass) {
  const auto full = backup_query(std::nullopt, {"idabus-system-modes", "a\"b"});
  EXPECT_EQ(full.text, "SELECT * FROM c WHERE c.id != @x0 AND c.id != @x1");
  ASSERT_EQ(full.parameters.size(), 2u);
  EXPECT_EQ(full.parameters[0].name, "@x0");
  EXPECT_EQ(full.parameters[0].json_value, "\"idabus-system-modes\"");
  EXPECT_EQ(full.parameters[1].json_value, "\"a\\\"b\"");
  const auto delta = backup_query(1700000000, {"idabus-backup-lease"});
  EXPECT_EQ(delta.text, "SELECT * FROM c WHERE c._ts >= @since AND c.id != @x0");
  ASSERT_EQ(delta.parameters.size(), 2u);
  EXPECT_EQ(delta.parameters[1].json_value, "\"idabus-backup-lease\"");
}

TEST(Backup, TheCountQueryHasThePassFilter) {
  EXPECT_EQ(backup_count_query(std::nullopt).text, "SELECT VALUE COUNT(1) FROM c");
  const auto delta = backup_count_query(1700000000, {"idabus-backup-lease"});
  EXPECT_EQ(delta.text, "SELECT VALUE COUNT(1) FROM c WHERE c._ts >= @since AND c.id != @x0");
  ASSERT_EQ(delta.parameters.size(), 2u);
  EXPECT_EQ(delta.parameters[0].json_value, "1700000000");
  EXPECT_EQ(delta.parameters[1].json_value, "\"idabus-backup-lease\"");
}

TEST(Backup, OptionsAreValidatedByName) {
  EXPECT_NO_THROW(validate(backup_options{}));
  auto expect_named = [](backup_options o, const std::string& field) {
    try {
      validate(o);
      ADD_FAILURE() << "no error for " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  backup_options o;
  o.chunk_bytes = 0;
  expect_named(o, "chunk_bytes");
  o = {};
  o.compression_level = 0;
  expect_named(o, "compression_level");
  o = {};
  o.page_size = 0;
  expect_named(o, "page_size");
  o = {};
  o.range_concurrency = 0;
  expect_named(o, "range_concurrency");
  o = {};
  o.compressors = 0;
  expect_named(o, "compressors");
  o = {};
  o.reorder_window = 0;
  expect_named(o, "reorder_window");
  o = {};
  o.chunks_in_flight = 0;
  expect_named(o, "chunks_in_flight");
}

}  // namespace
}  // namespace idabus::stages
