#include "io/files/tombstones.hpp"

#include "io/files/atomic_file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idabus::io::files {
namespace {

tombstone make(std::string id, json::scalar key, std::string_view time, std::string event_id) {
  return tombstone{std::move(id), std::move(key), *parse_utc_time(time), std::move(event_id)};
}

std::vector<tombstone> sample_tombstones() {
  return {make("u-1", std::string("Person"), "2026-11-30T01:02:03.456Z", "e-1"),
          make("quote\"and\\back", std::string("Gr\xc3\xbcppe\n"), "2026-11-30T01:02:03.457Z", "e-2"),
          make("n", 42.5, "2026-11-30T01:02:04Z", "e-3"), make("b", true, "2026-11-30T01:02:05Z", "e-4"),
          make("z", nullptr, "2026-11-30T01:02:06Z", "e-5"), make("u", std::monostate{}, "2026-11-30T01:02:07Z", "e-6")};
}

std::string tombstones_error_of(std::string_view line) {
  try {
    parse_tombstone(line);
  } catch (const tombstone_error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Tombstone, LineHasTheKeysOfTheFormat) {
  EXPECT_EQ(to_json_line(sample_tombstones()[0]),
            R"({"id":"u-1","partitionKey":"Person","deletedTime":"2026-11-30T01:02:03.456Z","eventId":"e-1"})");
  EXPECT_EQ(to_json_line(make("n", 7.0, "2026-11-30T01:02:04Z", "e")),
            R"({"id":"n","partitionKey":7,"deletedTime":"2026-11-30T01:02:04.000Z","eventId":"e"})");
}

TEST(Tombstone, LineRoundTripsEveryKindOfPartitionKey) {
  for (const auto& t : sample_tombstones()) EXPECT_EQ(parse_tombstone(to_json_line(t)), t) << to_json_line(t);
}

TEST(Tombstone, IntegerPartitionKeyReadsAsTheSameNumberAsInADocument) {
  EXPECT_EQ(parse_tombstone(R"({"id":"a","partitionKey":12,"deletedTime":"2026-11-30T01:02:04Z","eventId":"e"})")
                .partition_key,
            json::scalar(12.0));
}

TEST(Tombstone, ErrorsNameTheField) {
  EXPECT_NE(tombstones_error_of(R"({"partitionKey":"P","deletedTime":"2026-11-30T01:02:04Z","eventId":"e"})").find("'id'"),
            std::string::npos);
  EXPECT_NE(tombstones_error_of(R"({"id":"a","deletedTime":"2026-11-30T01:02:04Z","eventId":"e"})").find("'partitionKey' is missing"),
            std::string::npos);
  EXPECT_NE(tombstones_error_of(R"({"id":"a","partitionKey":"P","deletedTime":"yesterday","eventId":"e"})").find("'deletedTime'"),
            std::string::npos);
  EXPECT_NE(tombstones_error_of(R"({"id":"a","partitionKey":"P","deletedTime":"2026-11-30T01:02:04Z","eventId":5})").find("'eventId'"),
            std::string::npos);
  EXPECT_NE(tombstones_error_of(R"(["a"])").find("not a JSON object"), std::string::npos);
  EXPECT_NE(tombstones_error_of(R"({"id":)").find("not valid JSON"), std::string::npos);
}

TEST(TombstonesFile, WriteThenReadGivesTheSameTombstonesInOrder) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  const auto tombstones = sample_tombstones();
  const auto entry = write_tombstones(dir.path, "Resources", tombstones, encoder);
  EXPECT_EQ(entry.file, "Resources/tombstones.jsonl.zst");
  EXPECT_EQ(entry.documents, tombstones.size());
  const auto bytes = read_file(dir.path / entry.file);
  EXPECT_EQ(entry.bytes, bytes.size());
  EXPECT_EQ(entry.sha256, sha256_hex(bytes));
  EXPECT_EQ(entry.raw_bytes, decoder.decode(bytes).size());
  EXPECT_EQ(read_tombstones(dir.path, entry, decoder), tombstones);
}

TEST(TombstonesFile, IsOneChunkFrameOfJsonLines) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  const auto tombstones = sample_tombstones();
  const auto entry = write_tombstones(dir.path, "Resources", tombstones, encoder);
  const auto text = decoder.read((dir.path / entry.file).string(), entry.sha256);
  std::vector<std::string> lines;
  for (auto line : json_lines(text)) lines.emplace_back(line);
  ASSERT_EQ(lines.size(), tombstones.size());
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], to_json_line(tombstones[i]));
  EXPECT_EQ(text.back(), '\n');
}

TEST(TombstonesFile, NoDeletesStillWritesAnEmptyFile) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  const auto entry = write_tombstones(dir.path, "Events", {}, encoder);
  EXPECT_EQ(entry.documents, 0u);
  EXPECT_EQ(entry.raw_bytes, 0u);
  EXPECT_TRUE(std::filesystem::exists(dir.path / "Events" / tombstones_file_name));
  EXPECT_TRUE(read_tombstones(dir.path, entry, decoder).empty());
}

TEST(TombstonesFile, ReadRejectsAChangedFile) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  const auto entry = write_tombstones(dir.path, "Resources", sample_tombstones(), encoder);
  auto other = sample_tombstones();
  other.pop_back();
  write_tombstones(dir.path, "Resources", other, encoder);
  try {
    read_tombstones(dir.path, entry, decoder);
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::sha256_mismatch);
  }
}

TEST(TombstonesFile, ReadRejectsACountThatDiffersFromTheManifest) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  auto entry = write_tombstones(dir.path, "Resources", sample_tombstones(), encoder);
  entry.documents += 1;
  try {
    read_tombstones(dir.path, entry, decoder);
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::size_mismatch);
  }
}

TEST(TombstonesFile, ReadNamesTheLineThatIsNotATombstone) {
  test::temp_dir dir;
  chunk_encoder encoder(3);
  chunk_decoder decoder;
  const std::string raw = to_json_line(sample_tombstones()[0]) + "\n{\"id\":\"x\"}\n";
  auto encoded = encoder.encode(raw);
  std::filesystem::create_directories(dir.path / "Resources");
  write_file_atomically(dir.path / "Resources" / tombstones_file_name, encoded.bytes);
  const tombstones_entry entry{tombstones_file("Resources"), 2, raw.size(), encoded.bytes.size(), encoded.sha256};
  try {
    read_tombstones(dir.path, entry, decoder);
    FAIL();
  } catch (const tombstone_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(TombstonesFile, ReadOfAMissingFileIsMissing) {
  test::temp_dir dir;
  chunk_decoder decoder;
  const tombstones_entry entry{tombstones_file("Resources"), 0, 0, 0, std::string(64, 'a')};
  try {
    read_tombstones(dir.path, entry, decoder);
    FAIL();
  } catch (const chunk_error& e) {
    EXPECT_EQ(e.problem(), chunk_problem::missing);
  }
}

}  // namespace
}  // namespace idabus::io::files
