#include "io/files/backup_chain.hpp"

#include "io/files/atomic_file.hpp"
#include "support/backup_set_builder.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace idabus::io::files {
namespace {

namespace fs = std::filesystem;
using test::utc;

test::collection_spec collection(std::string name, backup_type type, std::optional<std::string> since = {}) {
  test::collection_spec c;
  c.name = std::move(name);
  c.partition_key_path = c.name == "Resources" ? "/objecttype" : "/id";
  c.type = type;
  if (since) c.since = utc(*since);
  c.chunks = {{chunk_phase::basis, {R"({"id":"x","objecttype":"Person","_ts":1})"}}};
  return c;
}

test::set_spec set(std::string id, std::string basis, std::string completed, std::vector<test::collection_spec> cs) {
  test::set_spec s;
  s.id = std::move(id);
  s.basis_started = std::move(basis);
  s.completed = std::move(completed);
  s.collections = std::move(cs);
  return s;
}

// full F1 (01:10), incremental I1 (02:05, since 01:10), full F2 (03:10, Resources and Events),
// incremental I2 (04:05, since 03:10).
struct folder {
  test::temp_dir dir;
  fs::path f1, i1, f2, i2;
  folder() {
    f1 = test::write_backup_set(dir.path, set("f1", "2026-11-30T01:00:00Z", "2026-11-30T01:10:00Z",
                                              {collection("Resources", backup_type::full)}));
    i1 = test::write_backup_set(dir.path, set("i1", "2026-11-30T02:00:00Z", "2026-11-30T02:05:00Z",
                                              {collection("Resources", backup_type::incremental, "2026-11-30T01:10:00Z")}));
    f2 = test::write_backup_set(dir.path, set("f2", "2026-11-30T03:00:00Z", "2026-11-30T03:10:00Z",
                                              {collection("Resources", backup_type::full),
                                               collection("Events", backup_type::full)}));
    i2 = test::write_backup_set(dir.path, set("i2", "2026-11-30T04:00:00Z", "2026-11-30T04:05:00Z",
                                              {collection("Resources", backup_type::incremental, "2026-11-30T03:10:00Z")}));
  }
  std::vector<std::string> chain_names(const std::string& collection, const std::string& until) {
    const auto sets = scan_backup_folder(dir.path);
    std::vector<std::string> names;
    for (auto i : select_chain(sets, collection, utc(until)).sets) names.push_back(sets[i].manifest->backup_id);
    return names;
  }
};

std::string chain_error_of(const std::vector<backup_set_info>& sets, const std::string& collection,
                           const std::string& until) {
  try {
    select_chain(sets, collection, utc(until));
  } catch (const chain_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected chain_error";
  return "";
}

TEST(BackupChain, ScanFindsEverySetOrderedByCompletedTimeAndIncompleteOnesLast) {
  folder f;
  auto spec = set("zz", "2026-11-30T00:00:00Z", "2026-11-30T00:30:00Z", {collection("Resources", backup_type::full)});
  spec.with_manifest = false;
  test::write_backup_set(f.dir.path, spec);
  fs::create_directories(f.dir.path / "unrelated");
  write_file_atomically(f.dir.path / "notes.txt", "x");
  const auto sets = scan_backup_folder(f.dir.path);
  ASSERT_EQ(sets.size(), 5u);
  EXPECT_EQ(sets[0].manifest->backup_id, "f1");
  EXPECT_EQ(sets[3].manifest->backup_id, "i2");
  EXPECT_EQ(sets[4].name, "backup-20261130T000000Z-zz");
  EXPECT_EQ(sets[4].status, set_status::incomplete);
  EXPECT_NE(sets[4].problem.find("manifest.json"), std::string::npos);
  EXPECT_EQ(sets[0].status, set_status::complete);
  EXPECT_FALSE(sets[0].verified);
}

TEST(BackupChain, AFolderThatIsOneSetIsScannedAsThatSet) {
  folder f;
  const auto sets = scan_backup_folder(f.i1);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].name, f.i1.filename().string());
}

TEST(BackupChain, AMissingFolderIsAFileError) {
  test::temp_dir dir;
  EXPECT_THROW(scan_backup_folder(dir.path / "nope"), file_error);
}

TEST(BackupChain, AnUnreadableManifestIsABadManifestSet) {
  folder f;
  write_file_atomically(f.i1 / "manifest.json", "{ not json");
  const auto sets = scan_backup_folder(f.dir.path);
  EXPECT_EQ(sets.back().status, set_status::bad_manifest);
  EXPECT_NE(sets.back().problem.find("not valid JSON"), std::string::npos) << sets.back().problem;
}

TEST(BackupChain, LastFullAtOrBeforeTThenTheIncrementalsUpToT) {
  folder f;
  EXPECT_EQ(f.chain_names("Resources", "2026-11-30T01:10:00Z"), (std::vector<std::string>{"f1"}));
  EXPECT_EQ(f.chain_names("Resources", "2026-11-30T02:59:00Z"), (std::vector<std::string>{"f1", "i1"}));
  EXPECT_EQ(f.chain_names("Resources", "2026-11-30T03:10:00Z"), (std::vector<std::string>{"f2"}));
  EXPECT_EQ(f.chain_names("Resources", "2026-12-01T00:00:00Z"), (std::vector<std::string>{"f2", "i2"}));
  EXPECT_EQ(f.chain_names("Events", "2026-12-01T00:00:00Z"), (std::vector<std::string>{"f2"}));
}

TEST(BackupChain, NoFullBeforeTNamesTheCollectionAndT) {
  folder f;
  const auto sets = scan_backup_folder(f.dir.path);
  const auto e = chain_error_of(sets, "Resources", "2026-11-30T01:09:59Z");
  EXPECT_NE(e.find("no full backup of Resources"), std::string::npos) << e;
  EXPECT_NE(e.find("2026-11-30T01:09:59.000Z"), std::string::npos) << e;
  EXPECT_NE(chain_error_of(sets, "Events", "2026-11-30T02:00:00Z").find("no full backup of Events"), std::string::npos);
  EXPECT_NE(chain_error_of(sets, "Unknown", "2026-12-01T00:00:00Z").find("no full backup of Unknown"),
            std::string::npos);
}

TEST(BackupChain, ACorruptSetTheChainNeedsIsAnErrorNamingItAndTheFile) {
  folder f;
  test::flip_byte(f.i1 / "Resources/000001.jsonl.zst");
  auto sets = scan_backup_folder(f.dir.path);
  for (auto& s : sets) verify_set(s);
  EXPECT_EQ(sets[1].status, set_status::corrupt);
  const auto e = chain_error_of(sets, "Resources", "2026-11-30T03:00:00Z");
  EXPECT_NE(e.find(f.i1.filename().string()), std::string::npos) << e;
  EXPECT_NE(e.find("Resources/000001.jsonl.zst"), std::string::npos) << e;
  // A restore at a later T does not need it: the chain starts at f2.
  EXPECT_EQ(select_chain(sets, "Resources", utc("2026-12-01T00:00:00Z")).sets.size(), 2u);
}

TEST(BackupChain, ACorruptFileOfAnotherCollectionDoesNotBlockTheChain) {
  folder f;
  test::flip_byte(f.f2 / "Events/000001.jsonl.zst");
  auto sets = scan_backup_folder(f.dir.path);
  for (auto& s : sets) verify_set(s);
  EXPECT_EQ(select_chain(sets, "Resources", utc("2026-12-01T00:00:00Z")).sets.size(), 2u);
  EXPECT_NE(chain_error_of(sets, "Events", "2026-12-01T00:00:00Z").find("corrupt"), std::string::npos);
}

TEST(BackupChain, AnIncrementalWhoseSinceIsAfterThePreviousSetIsAGap) {
  folder f;
  // i1 lost its manifest (never completed); an incremental since i1's time follows f1.
  fs::remove(f.i1 / "manifest.json");
  test::write_backup_set(f.dir.path, set("i3", "2026-11-30T02:30:00Z", "2026-11-30T02:35:00Z",
                                         {collection("Resources", backup_type::incremental, "2026-11-30T02:05:00Z")}));
  const auto sets = scan_backup_folder(f.dir.path);
  const auto e = chain_error_of(sets, "Resources", "2026-11-30T02:40:00Z");
  EXPECT_NE(e.find("gap"), std::string::npos) << e;
  EXPECT_NE(e.find("backup-20261130T023000Z-i3"), std::string::npos) << e;
  EXPECT_NE(e.find(f.f1.filename().string()), std::string::npos) << e;
}

TEST(BackupChain, AnIncompleteSetIsNeverPartOfAChain) {
  folder f;
  fs::remove(f.i2 / "manifest.json");
  EXPECT_EQ(f.chain_names("Resources", "2026-12-01T00:00:00Z"), (std::vector<std::string>{"f2"}));
}

}  // namespace
}  // namespace idabus::io::files
