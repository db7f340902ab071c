#include "stages/restore_merge.hpp"

#include "io/files/atomic_file.hpp"
#include "pipeline/run_stages.hpp"
#include "support/backup_chain.hpp"
#include "support/run_coro.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace idabus::stages {
namespace {

namespace fs = std::filesystem;
using io::files::chunk_phase;
using test::backup_chain;
using test::chunk_spec;
using test::deleted;
using test::resource;
using test::resources;
using test::restored;
using tombstones = std::vector<io::files::tombstone>;

struct merged {
  merge_result result;
  std::vector<std::string> documents;  // every restore file's documents, in file order
  std::vector<io::files::restore_file_entry> files;
};

merge_set chain_link(const fs::path& dir, const std::string& collection = "Resources") {
  const auto m = io::files::read_manifest(dir);
  for (const auto& c : m.collections) {
    if (c.name == collection) return merge_set{dir, dir.filename().string(), c};
  }
  throw std::runtime_error("no collection " + collection);
}

merged merge(const fs::path& out, std::vector<fs::path> sets, merge_options options = {},
             std::uint64_t max_file_bytes = io::files::default_restore_file_bytes,
             pipeline::buffer_pool* texts = nullptr) {
  pipeline::buffer_pool own_texts(text_buffers_for(options));
  if (texts == nullptr) texts = &own_texts;
  std::vector<merge_set> chain;
  for (const auto& dir : sets) chain.push_back(chain_link(dir));
  fs::create_directories(out);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{2, "cpu"});
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::stage_stats stats;
  io::files::restore_file_writer writer(out, "Resources", {.max_file_bytes = max_file_bytes});
  merged m;
  m.result = test::run_coro([&](net::io_context&) {
    return run_restore_merge(chain, "/objecttype", writer, cpu, file_thread, *texts, options, stats);
  });
  m.files = writer.finish();
  for (const auto& f : m.files) {
    io::files::restore_file_reader reader(out / f.file);
    while (auto d = reader.next()) m.documents.emplace_back(*d);
  }
  return m;
}

// _ts values around t0 = 2026-11-30T01:00:00Z.
constexpr std::int64_t t0 = test::backup_chain::first_basis_ts;

TEST(RestoreMerge, FullBackupAloneIsWrittenStrippedAndTheDeltaBeatsTheBasis) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full =
      chain.full("full", {resources({{chunk_phase::basis, {resource("a", t0 - 100), resource("b", t0 - 90, "1")}},
                                     {chunk_phase::basis, {resource("c", t0 - 80)}},
                                     {chunk_phase::delta, {resource("b", t0 + 30, "2")}}})});
  const auto m = merge(dir.path / "out", {full});
  EXPECT_EQ(m.documents, (std::vector<std::string>{restored("a", t0 - 100), restored("c", t0 - 80),
                                                   restored("b", t0 + 30, "2")}));
  EXPECT_EQ(m.result.documents, 3u);
  EXPECT_EQ(m.result.deletes_applied, 0u);
  EXPECT_EQ(m.result.indexed_keys, 1u);  // only the delta's key: the full basis is never indexed
}

TEST(RestoreMerge, IncrementalsUpdateAndAddInChainOrder) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full =
      chain.full("full", {resources({{chunk_phase::basis, {resource("a", t0 - 100), resource("b", t0 - 90)}}})});
  const auto i1 = chain.incremental(
      "i1", {resources({{chunk_phase::basis, {resource("b", t0 + 1000, "2"), resource("n", t0 + 1100)}}})});
  const auto i2 = chain.incremental("i2", {resources({{chunk_phase::basis, {resource("b", t0 + 4000, "3")}}})});
  const auto m = merge(dir.path / "out", {full, i1, i2});
  EXPECT_EQ(m.documents, (std::vector<std::string>{restored("a", t0 - 100), restored("n", t0 + 1100),
                                                   restored("b", t0 + 4000, "3")}));
  EXPECT_EQ(m.result.indexed_keys, 2u);  // b and n: the incrementals' keys
}

TEST(RestoreMerge, ATombstoneRemovesTheFullBackupsVersionAndIsCounted) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full =
      chain.full("full", {resources({{chunk_phase::basis, {resource("a", t0 - 100), resource("gone", t0 - 90)}}})});
  const auto i1 = chain.incremental(
      "i1", {resources({}, tombstones{deleted("gone", "2026-11-30T01:30:00Z"),
                                       deleted("never-backed-up", "2026-11-30T01:31:00Z")})});
  const auto m = merge(dir.path / "out", {full, i1});
  EXPECT_EQ(m.documents, (std::vector<std::string>{restored("a", t0 - 100)}));
  EXPECT_EQ(m.result.deletes_applied, 1u);
}

TEST(RestoreMerge, ATombstoneOfAnotherPartitionKeyValueRemovesNothing) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full = chain.full("full", {resources({{chunk_phase::basis, {resource("a", t0 - 100)}}})});
  const auto i1 = chain.incremental("i1", {resources({}, tombstones{deleted("a", "2026-11-30T01:30:00Z", "Group")})});
  const auto m = merge(dir.path / "out", {full, i1});
  EXPECT_EQ(m.documents, (std::vector<std::string>{restored("a", t0 - 100)}));
  EXPECT_EQ(m.result.deletes_applied, 0u);
}

TEST(RestoreMerge, DeletedThenRecreatedInALaterSetComesBack) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full = chain.full("full", {resources({{chunk_phase::basis, {resource("a", t0 - 100)}}})});
  const auto i1 = chain.incremental("i1", {resources({}, tombstones{deleted("a", "2026-11-30T01:30:00Z")})});
  const auto i2 = chain.incremental("i2", {resources({{chunk_phase::basis, {resource("a", t0 + 4000, "re")}}})});
  EXPECT_EQ(merge(dir.path / "out1", {full, i1}).documents, std::vector<std::string>{});
  EXPECT_EQ(merge(dir.path / "out2", {full, i1, i2}).documents,
            (std::vector<std::string>{restored("a", t0 + 4000, "re")}));
}

// Same-second delete and re-create within one incremental, decided by the manifest's deltaSince:
// the set's deltaSince is 2026-11-30T01:59:58Z = t0 + 3598.
TEST(RestoreMerge, SameSecondTieUsesTheSetsDeltaSince) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full = chain.full(
      "full", {resources({{chunk_phase::basis, {resource("early", t0 - 100), resource("late", t0 - 100)}}})});
  const auto i1 = chain.incremental(
      "i1", {resources({{chunk_phase::basis, {resource("early", t0 + 3597, "re"), resource("late", t0 + 3598, "re")}}},
                       tombstones{deleted("early", "2026-11-30T01:59:57.300Z"),
                                  deleted("late", "2026-11-30T01:59:58.300Z")})});
  const auto m = merge(dir.path / "out", {full, i1});
  // early: same second, before deltaSince -> re-created after the delete; late: at deltaSince -> deleted.
  EXPECT_EQ(m.documents, (std::vector<std::string>{restored("early", t0 + 3597, "re")}));
  EXPECT_EQ(m.result.deletes_applied, 1u);
}

TEST(RestoreMerge, AFullBackupsOwnTombstonesRemoveWhatItsBasisReadBeforeTheDelete) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  // deltaSince of the full is 00:59:58; deletes while its basis ran (01:00:10).
  const auto full = chain.full(
      "full", {resources({{chunk_phase::basis, {resource("kept", t0 - 100), resource("gone", t0 - 100),
                                                resource("back", t0 + 20, "re")}}},
                         tombstones{deleted("gone", "2026-11-30T01:00:10Z"),
                                    deleted("back", "2026-11-30T01:00:10Z")})});
  const auto m = merge(dir.path / "out", {full});
  EXPECT_EQ(m.documents, (std::vector<std::string>{restored("kept", t0 - 100), restored("back", t0 + 20, "re")}));
  EXPECT_EQ(m.result.deletes_applied, 1u);
}

TEST(RestoreMerge, ADeltaVersionBeatsATombstoneOfItsSet) {
  test::temp_dir dir;
  backup_chain chain(dir.path);
  const auto full = chain.full("full", {resources({{chunk_phase::basis, {resource("a", t0 - 100)}}})});
  const auto i1 = chain.incremental("i1", {resources({{chunk_phase::delta, {resource("a", t0 + 3599, "d")}}},
                                                     tombstones{deleted("a", "2026-11-30T02:01:00Z")})});
  EXPECT_EQ(merge(dir.path / "out", {full, i1}).documents, (std::vector<std::string>{restored("a", t0 + 3599, "d")}));
}

TEST(RestoreMerge, OutputIsTheSameWhateverTheNumberOfDecoders) {
  test::temp_dir dir;
  std::vector<chunk_spec> chunks;
  for (int c = 0; c < 6; ++c) {
    chunk_spec chunk;
    for (int i = 0; i < 50; ++i) chunk.documents.push_back(resource(std::to_string(c * 50 + i), t0 - 500 + i));
    chunks.push_back(chunk);
  }
  backup_chain chain(dir.path);
  const auto full = chain.full("full", {resources(chunks)});
  std::vector<chunk_spec> updates;
  for (int c = 0; c < 3; ++c) {
    chunk_spec chunk;
    for (int i = 0; i < 20; ++i) chunk.documents.push_back(resource(std::to_string(c * 97 + i * 3), t0 + 1000 + i, "u"));
    updates.push_back(chunk);
  }
  const auto i1 = chain.incremental("i1", {resources(updates, tombstones{deleted("7", "2026-11-30T01:30:00Z")})});
  const auto one = merge(dir.path / "one", {full, i1}, {.decoders = 1, .job_capacity = 1, .reorder_window = 1}, 4096);
  const auto many = merge(dir.path / "many", {full, i1}, {.decoders = 4, .job_capacity = 4, .reorder_window = 3}, 4096);
  EXPECT_GT(one.files.size(), 3u);
  EXPECT_EQ(one.files, many.files);  // names, counts, sizes and sha256 equal
  EXPECT_EQ(one.documents.size(), 299u);
}

TEST(RestoreMerge, TheSameFewTextBuffersCarryEveryChunk) {
  test::temp_dir dir;
  std::vector<chunk_spec> chunks, updates;
  for (int c = 0; c < 20; ++c) {
    chunks.push_back({chunk_phase::basis, {resource("f" + std::to_string(c), t0 - 100)}});
    updates.push_back({chunk_phase::delta, {resource("f" + std::to_string(c), t0 + 100, "u")}});
  }
  backup_chain chain(dir.path);
  const auto full = chain.full("full", {resources(chunks)});
  const auto i1 = chain.incremental("i1", {resources(updates)});
  const merge_options options;
  const auto in_use = text_buffers_for(options);
  EXPECT_EQ(in_use, options.decoders + options.reorder_window + 1);
  // Buffers of a capacity no chunk here needs: any other buffer is a fresh allocation.
  constexpr std::size_t marked = 1 << 20;
  pipeline::buffer_pool texts(in_use);
  for (std::size_t i = 0; i < in_use; ++i) texts.give(std::string(marked, ' '));
  const auto m = merge(dir.path / "out", {full, i1}, options, io::files::default_restore_file_bytes, &texts);
  EXPECT_EQ(m.documents.size(), 20u);
  ASSERT_EQ(texts.free_buffers(), in_use) << "every text was given back";
  for (std::size_t i = 0; i < in_use; ++i) EXPECT_GE(texts.take(0).capacity(), marked) << "buffer " << i;
}

TEST(RestoreMerge, ACorruptChunkFailsNamingIt) {
  test::temp_dir dir;
  const auto full = test::backup_chain(dir.path).full(
      "full",
      {resources({{chunk_phase::basis, {resource("a", t0 - 100)}}, {chunk_phase::basis, {resource("b", t0)}}})});
  test::flip_byte(full / "Resources/000002.jsonl.zst");
  try {
    merge(dir.path / "out", {full});
    FAIL() << "expected stage_error";
  } catch (const pipeline::stage_error& e) {
    EXPECT_NE(std::string(e.what()).find("Resources/000002.jsonl.zst"), std::string::npos) << e.what();
  }
}

TEST(RestoreMerge, ADocumentWithoutIdFailsNamingTheChunkAndLine) {
  test::temp_dir dir;
  const auto full = test::backup_chain(dir.path).full(
      "full", {resources({{chunk_phase::basis, {resource("a", t0), R"({"objecttype":"Person","_ts":1})"}}})});
  try {
    merge(dir.path / "out", {full});
    FAIL() << "expected stage_error";
  } catch (const pipeline::stage_error& e) {
    EXPECT_NE(std::string(e.what()).find("Resources/000001.jsonl.zst line 2"), std::string::npos) << e.what();
  }
}

TEST(RestoreMerge, EmptyChunksGiveNoDocuments) {
  test::temp_dir dir;
  const auto full = test::backup_chain(dir.path).full("full", {resources({{chunk_phase::basis, {}}})});
  const auto m = merge(dir.path / "out", {full});
  EXPECT_TRUE(m.files.empty());
  EXPECT_EQ(m.result.documents, 0u);
}

TEST(RestoreMerge, ZeroWorkersAreRejected) {
  EXPECT_THROW(validate(merge_options{.decoders = 0}), std::invalid_argument);
  EXPECT_THROW(validate(merge_options{.reorder_window = 0}), std::invalid_argument);
  EXPECT_THROW(validate(merge_options{.job_capacity = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace idabus::stages
