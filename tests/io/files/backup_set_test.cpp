#include "io/files/backup_set.hpp"

#include "io/files/atomic_file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace idabus::io::files {
namespace {

namespace fs = std::filesystem;

// A set with two collections, three chunks and a tombstones file, written like the pipeline does.
manifest write_set(const fs::path& dir) {
  chunk_encoder encoder(3);
  manifest m;
  m.backup_id = "b1";
  m.tool_version = "test";
  m.source.database = "db";
  auto add_chunk = [&](collection_manifest& c, const std::string& file, const std::string& raw, std::uint64_t docs) {
    const auto chunk = encoder.encode(raw);
    fs::create_directories(dir / c.name);
    write_file_atomically(dir / file, chunk.bytes);
    c.chunks.push_back({file, chunk_phase::basis, docs, raw.size(), chunk.bytes.size(), chunk.sha256, 1, 2});
  };
  collection_manifest resources;
  resources.name = "Resources";
  add_chunk(resources, "Resources/000001.jsonl.zst", "{\"id\":\"1\"}\n{\"id\":\"2\"}\n", 2);
  add_chunk(resources, "Resources/000002.jsonl.zst", "{\"id\":\"3\"}\n", 1);
  const std::string tomb = "{\"id\":\"9\"}\n";
  const auto t = encoder.encode(tomb);
  write_file_atomically(dir / "Resources/tombstones.jsonl.zst", t.bytes);
  resources.tombstones = tombstones_entry{"Resources/tombstones.jsonl.zst", 1, tomb.size(), t.bytes.size(), t.sha256};
  collection_manifest events;
  events.name = "Events";
  add_chunk(events, "Events/000001.jsonl.zst", "{\"id\":\"e\"}\n", 1);
  m.collections = {resources, events};
  write_manifest(dir, m);
  return m;
}

verify_options deep() {
  verify_options o;
  o.decompress = true;
  return o;
}

verify_options small_blocks() {
  verify_options o;
  o.read_block_bytes = 7;
  return o;
}

TEST(BackupSet, IntactSetIsComplete) {
  test::temp_dir dir;
  const auto m = write_set(dir.path);
  const auto report = verify_backup_set(dir.path, deep());
  EXPECT_EQ(report.status, set_status::complete);
  EXPECT_TRUE(report.issues.empty());
  EXPECT_EQ(report.files_checked, 4u);
  ASSERT_TRUE(report.manifest);
  EXPECT_EQ(*report.manifest, m);
}

TEST(BackupSet, NoManifestIsIncomplete) {
  test::temp_dir dir;
  write_set(dir.path);
  fs::remove(dir.path / "manifest.json");
  const auto report = verify_backup_set(dir.path);
  EXPECT_EQ(report.status, set_status::incomplete);
  EXPECT_FALSE(report.manifest);
  EXPECT_NE(report.manifest_error.find("manifest.json"), std::string::npos);
}

TEST(BackupSet, UnparsableManifestIsBadManifest) {
  test::temp_dir dir;
  write_set(dir.path);
  write_file_atomically(dir.path / "manifest.json", "{\"formatVersion\": 1}");
  const auto report = verify_backup_set(dir.path);
  EXPECT_EQ(report.status, set_status::bad_manifest);
  EXPECT_NE(report.manifest_error.find("backupId"), std::string::npos) << report.manifest_error;
}

TEST(BackupSet, ReportsEveryBadOrMissingChunkNotOnlyTheFirst) {
  test::temp_dir dir;
  write_set(dir.path);
  // One flipped byte (same size), one missing file, one truncated tombstones file.
  auto bytes = read_file(dir.path / "Resources/000002.jsonl.zst");
  bytes[bytes.size() / 2] ^= 0x01;
  write_file_atomically(dir.path / "Resources/000002.jsonl.zst", bytes);
  fs::remove(dir.path / "Events/000001.jsonl.zst");
  auto tomb = read_file(dir.path / "Resources/tombstones.jsonl.zst");
  write_file_atomically(dir.path / "Resources/tombstones.jsonl.zst", tomb.substr(0, tomb.size() - 1));

  const auto report = verify_backup_set(dir.path);
  EXPECT_EQ(report.status, set_status::corrupt);
  ASSERT_EQ(report.issues.size(), 3u);
  EXPECT_EQ(report.issues[0].file, "Resources/000002.jsonl.zst");
  EXPECT_EQ(report.issues[0].problem, chunk_problem::sha256_mismatch);
  EXPECT_EQ(report.issues[1].file, "Resources/tombstones.jsonl.zst");
  EXPECT_EQ(report.issues[1].problem, chunk_problem::size_mismatch);
  EXPECT_EQ(report.issues[2].collection, "Events");
  EXPECT_EQ(report.issues[2].problem, chunk_problem::missing);
}

TEST(BackupSet, DecompressingFindsAManifestThatMiscountsDocuments) {
  test::temp_dir dir;
  auto m = write_set(dir.path);
  m.collections[0].chunks[0].documents = 3;  // the file holds 2 lines
  write_manifest(dir.path, m);
  EXPECT_EQ(verify_backup_set(dir.path).status, set_status::complete);  // hashes still match
  const auto report = verify_backup_set(dir.path, deep());
  EXPECT_EQ(report.status, set_status::corrupt);
  ASSERT_EQ(report.issues.size(), 1u);
  EXPECT_EQ(report.issues[0].file, "Resources/000001.jsonl.zst");
  EXPECT_EQ(report.issues[0].problem, chunk_problem::size_mismatch);
}

TEST(BackupSet, HashesInSmallBlocks) {
  test::temp_dir dir;
  write_set(dir.path);
  EXPECT_EQ(verify_backup_set(dir.path, small_blocks()).status, set_status::complete);
}

}  // namespace
}  // namespace idabus::io::files
