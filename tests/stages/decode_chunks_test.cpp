#include "stages/decode_chunks.hpp"

#include "io/files/atomic_file.hpp"
#include "pipeline/run_stages.hpp"
#include "support/backup_set_builder.hpp"
#include "support/drain.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"
#include "tests/stages/stage_fixtures.hpp"

#include <gtest/gtest.h>

namespace idabus::stages {
namespace {

namespace fs = std::filesystem;
using test::run_coro;

// Chunk file `n` holding documents a<n>, b<n> (ts n, n + 1) under `dir`; returns its job.
chunk_job write_chunk(const fs::path& dir, std::uint32_t n) {
  io::files::chunk_encoder encoder(1);
  const auto raw = test::resource("a" + std::to_string(n), n) + "\n" + test::resource("b" + std::to_string(n), n + 1) + "\n";
  const auto file = dir / io::files::chunk_file_name(n);
  io::files::write_file_atomically(file, encoder.encode(raw).bytes);
  chunk_job job;
  job.seq = n;
  job.file = file;
  job.label = "set/Resources/" + io::files::chunk_file_name(n);
  job.where = version_location{1, n, 0};
  return job;
}

std::vector<decoded_chunk> decode(std::vector<chunk_job> jobs, decode_mode mode, std::size_t workers = 2,
                                  bool fail = false, pipeline::buffer_pool* texts = nullptr) {
  pipeline::buffer_pool own_texts(1);
  if (texts == nullptr) texts = &own_texts;
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::stage_stats stats;
  auto& counters = stats.add("decode");
  std::vector<decoded_chunk> out;
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    pipeline::channel<chunk_job> in(1);
    pipeline::reorder_buffer<decoded_chunk> decoded(2, workers);
    std::vector<pipeline::named_stage> stages;
    stages.push_back({"jobs", test::stages::run_send_all(in, std::move(jobs), fail)});
    for (std::size_t i = 0; i < workers; ++i) {
      stages.push_back({"decode", run_decode_chunks(in, decoded, cpu, file_thread, *texts, {"/objecttype", mode}, counters)});
    }
    stages.push_back({"drain", idabus::test::drain_into(decoded, out)});
    co_await pipeline::run_stages(std::move(stages));
  });
  return out;
}

TEST(DecodeChunks, ParallelWorkersDeliverKeysAndStrippedDocumentsInJobOrder) {
  test::temp_dir dir;
  std::vector<chunk_job> jobs;
  for (std::uint32_t n = 0; n < 6; ++n) jobs.push_back(write_chunk(dir.path, n));
  const auto out = decode(jobs, decode_mode::stripped, 3);
  ASSERT_EQ(out.size(), 6u);
  for (std::uint32_t n = 0; n < 6; ++n) {
    const auto& c = out[n];
    EXPECT_EQ(c.job.where.chunk, n);
    ASSERT_EQ(c.documents.size(), 2u);
    EXPECT_EQ(c.documents[1].key, merge_key(io::json::scalar(std::string("Person")), "b" + std::to_string(n)));
    EXPECT_EQ(c.documents[1].ts, n + 1);
    EXPECT_EQ(c.document(c.documents[0]), test::restored("a" + std::to_string(n), n));
    EXPECT_EQ(c.document(c.documents[1]), test::restored("b" + std::to_string(n), n + 1));
  }
}

TEST(DecodeChunks, KeysModeKeepsNoText) {
  test::temp_dir dir;
  const auto out = decode({write_chunk(dir.path, 0)}, decode_mode::keys);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].text.empty());
  EXPECT_EQ(out[0].documents.size(), 2u);
  EXPECT_GT(out[0].raw_bytes, 0u);
}

TEST(DecodeChunks, StrippedTextsAreBuffersTakenFromThePool) {
  test::temp_dir dir;
  std::vector<chunk_job> jobs;
  for (std::uint32_t n = 0; n < 6; ++n) jobs.push_back(write_chunk(dir.path, n));
  constexpr std::size_t marked = 1 << 20;  // no chunk here needs this much: a fresh buffer has less
  pipeline::buffer_pool texts(6);
  for (int i = 0; i < 6; ++i) texts.give(std::string(marked, ' '));
  const auto out = decode(jobs, decode_mode::stripped, 2, false, &texts);
  ASSERT_EQ(out.size(), 6u);
  for (const auto& c : out) {
    EXPECT_GE(c.text.capacity(), marked) << c.job.label;
    EXPECT_EQ(c.document(c.documents[0]), test::restored("a" + std::to_string(c.job.where.chunk), c.job.where.chunk));
  }
  EXPECT_EQ(texts.free_buffers(), 0u);
}

TEST(DecodeChunks, KeysModeTakesNoBufferFromThePool) {
  test::temp_dir dir;
  pipeline::buffer_pool texts(2);
  texts.give(std::string(16, ' '));
  decode({write_chunk(dir.path, 0), write_chunk(dir.path, 1)}, decode_mode::keys, 2, false, &texts);
  EXPECT_EQ(texts.free_buffers(), 1u);
}

TEST(DecodeChunks, EmptyInputEndsWithNoChunk) { EXPECT_TRUE(decode({}, decode_mode::keys).empty()); }

TEST(DecodeChunks, UpstreamErrorIsReported) {
  test::temp_dir dir;
  try {
    decode({write_chunk(dir.path, 0)}, decode_mode::keys, 2, true);
    FAIL() << "expected stage_error";
  } catch (const pipeline::stage_error& e) {
    EXPECT_EQ(e.stage(), "jobs");
  }
}

TEST(DecodeChunks, AMissingFileIsAChunkErrorNamingIt) {
  test::temp_dir dir;
  auto job = write_chunk(dir.path, 1);
  fs::remove(job.file);
  try {
    decode({job}, decode_mode::keys);
    FAIL() << "expected stage_error";
  } catch (const pipeline::stage_error& e) {
    EXPECT_EQ(e.stage(), "decode");
    EXPECT_NE(std::string(e.what()).find("000001.jsonl.zst"), std::string::npos) << e.what();
  }
}

TEST(DecodeChunks, DownstreamFailureCancelsWorkersBlockedOnTheReorderWindow) {
  test::temp_dir dir;
  std::vector<chunk_job> jobs;
  for (std::uint32_t n = 0; n < 8; ++n) jobs.push_back(write_chunk(dir.path, n));
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::stage_stats stats;
  auto& counters = stats.add("decode");
  pipeline::buffer_pool texts(1);
  try {
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      pipeline::channel<chunk_job> in(1);
      pipeline::reorder_buffer<decoded_chunk> decoded(2, 2);
      std::vector<pipeline::named_stage> stages;
      stages.push_back({"jobs", test::stages::run_send_all(in, std::move(jobs))});
      for (int i = 0; i < 2; ++i) {
        stages.push_back({"decode", run_decode_chunks(in, decoded, cpu, file_thread, texts, {"/objecttype"}, counters)});
      }
      // Nobody takes chunks: the window fills and the workers block in put().
      stages.push_back({"downstream", test::stages::run_fail_when([&decoded] { return decoded.size() == 2; })});
      co_await pipeline::run_stages(std::move(stages));
    });
    FAIL() << "expected stage_error";
  } catch (const pipeline::stage_error& e) {
    EXPECT_EQ(e.stage(), "downstream");
  }
}

TEST(ChunkDocumentDecoder, AMalformedLineIsNamedByChunkAndLine) {
  io::files::chunk_encoder encoder(1);
  const auto bytes = encoder.encode(test::resource("a", 1) + "\n{\"id\":\n").bytes;
  chunk_document_decoder decoder({"/objecttype"});
  chunk_job job;
  job.label = "set/Resources/000004.jsonl.zst";
  try {
    decoder.decode(job, bytes);
    FAIL() << "expected decode_error";
  } catch (const decode_error& e) {
    EXPECT_NE(std::string(e.what()).find("set/Resources/000004.jsonl.zst line 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace idabus::stages
