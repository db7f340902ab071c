#include "io/files/manifest.hpp"

#include "io/files/atomic_file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

namespace idabus::io::files {
namespace {

using namespace std::chrono;

manifest sample_manifest() {
  manifest m;
  m.backup_id = "4f1c2a90-7d1e-4b6a-9d7e-3a1b2c3d4e5f";
  m.comment = "nightly \"full\"\nZo\xc3\xab";
  m.basis_started = *parse_utc_time("2026-11-30T01:00:00Z");
  m.completed_time = *parse_utc_time("2026-11-30T01:07:12.345Z");
  m.tool_version = "0.1.0";
  m.source = {"acct.documents.azure.com", "idabus",
              {{"Resources", "/objecttype"}, {"Events", "/id"}}};
  collection_manifest resources;
  resources.name = "Resources";
  resources.type = backup_type::incremental;
  resources.since = *parse_utc_time("2026-11-29T01:07:10Z");
  resources.delta_since = *parse_utc_time("2026-11-30T00:59:58Z");
  resources.documents = 3;
  resources.raw_bytes = 300;
  resources.bytes = 120;
  resources.request_charge = 12.75;
  resources.chunks.push_back({"Resources/000001.jsonl.zst", chunk_phase::basis, 2, 200, 80,
                              std::string(64, 'a'), 1700000000, 1700000100});
  resources.chunks.push_back({"Resources/000002.jsonl.zst", chunk_phase::delta, 1, 100, 40,
                              std::string(64, 'b'), std::nullopt, std::nullopt});
  resources.tombstones = tombstones_entry{"Resources/tombstones.jsonl.zst", 4, 200, 50, std::string(64, 'c')};
  m.collections.push_back(resources);
  collection_manifest events;
  events.name = "Events";
  m.collections.push_back(events);
  return m;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// The field path named by the error thrown for `text`.
std::string manifest_error_of(std::string_view text) {
  try {
    parse_manifest(text);
  } catch (const manifest_error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Manifest, RoundTripsEveryField) {
  const auto m = sample_manifest();
  EXPECT_EQ(parse_manifest(to_json(m)), m);
}

TEST(Manifest, UsesTheKeysOfTheDesign) {
  const auto text = to_json(sample_manifest());
  for (const char* key : {"\"formatVersion\": 1", "\"backupId\"", "\"comment\"", "\"basisStarted\": \"2026-11-30T01:00:00.000Z\"",
                          "\"completedtime\": \"2026-11-30T01:07:12.345Z\"", "\"toolVersion\"", "\"endpointHost\"",
                          "\"partitionKeyPath\": \"/objecttype\"", "\"type\": \"incremental\"", "\"since\"",
                          "\"requestCharge\": 12.75",
                          "\"deltaSince\": \"2026-11-30T00:59:58.000Z\"", "\"phase\": \"delta\"", "\"rawBytes\"", "\"sha256\"",
                          "\"minTs\": 1700000000", "\"maxTs\": null", "\"tombstones\": null",
                          "\"file\": \"Resources/tombstones.jsonl.zst\""}) {
    EXPECT_NE(text.find(key), std::string::npos) << key;
  }
}

TEST(Manifest, WriteThenReadFromASetFolder) {
  test::temp_dir dir;
  write_manifest(dir.path, sample_manifest());
  EXPECT_EQ(read_manifest(dir.path), sample_manifest());
}

TEST(Manifest, MissingManifestMeansIncomplete) {
  test::temp_dir dir;
  try {
    read_manifest(dir.path);
    FAIL();
  } catch (const manifest_error& e) {
    EXPECT_EQ(e.problem(), manifest_problem::missing);
    EXPECT_NE(std::string(e.what()).find("incomplete"), std::string::npos);
  }
}

TEST(Manifest, ErrorsNameTheField) {
  const auto text = to_json(sample_manifest());
  EXPECT_NE(manifest_error_of(replaced(text, "\"sha256\": \"bbbb", "\"sha256\": \"Xbbb")).find("collections[0].chunks[1].sha256"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"phase\": \"basis\"", "\"phase\": \"full\"")).find("collections[0].chunks[0].phase"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"documents\": 2,", "\"documents\": -2,")).find("collections[0].chunks[0].documents"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"completedtime\": \"2026-11-30T01:07:12.345Z\"", "\"completedtime\": \"yesterday\""))
                .find("'completedtime'"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"backupId\"", "\"backupID\"")).find("'backupId' is missing"), std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"database\": \"idabus\"", "\"database\": 5")).find("source.database"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"since\": \"2026-11-29T01:07:10.000Z\"", "\"since\": null")).find("collections[0].since"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "\"type\": \"full\"", "\"type\": \"partial\"")).find("collections[1].type"),
            std::string::npos);
}

TEST(Manifest, ChunkFilesMustStayInsideTheSet) {
  const auto text = to_json(sample_manifest());
  EXPECT_NE(manifest_error_of(replaced(text, "Resources/000001.jsonl.zst", "../000001.jsonl.zst")).find("chunks[0].file"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "Resources/000001.jsonl.zst", "/etc/passwd")).find("chunks[0].file"),
            std::string::npos);
  EXPECT_NE(manifest_error_of(replaced(text, "Resources/tombstones.jsonl.zst", "a/../../t")).find("tombstones.file"),
            std::string::npos);
}

TEST(Manifest, RejectsMalformedJsonAndOtherVersions) {
  try {
    parse_manifest("{\"formatVersion\": 1,");
    FAIL();
  } catch (const manifest_error& e) {
    EXPECT_EQ(e.problem(), manifest_problem::malformed);
  }
  try {
    parse_manifest(replaced(to_json(sample_manifest()), "\"formatVersion\": 1", "\"formatVersion\": 2"));
    FAIL();
  } catch (const manifest_error& e) {
    EXPECT_EQ(e.problem(), manifest_problem::unsupported_version);
  }
  EXPECT_NE(manifest_error_of("[1]").find("not an object"), std::string::npos);
}

TEST(Manifest, DeltaSinceIsOptionalForOlderManifests) {
  auto m = sample_manifest();
  m.collections[0].delta_since.reset();
  const auto text = to_json(m);
  EXPECT_EQ(text.find("deltaSince"), std::string::npos);
  EXPECT_EQ(parse_manifest(text), m);
  const auto with_null = replaced(to_json(sample_manifest()), "\"deltaSince\": \"2026-11-30T00:59:58.000Z\"", "\"deltaSince\": null");
  EXPECT_EQ(parse_manifest(with_null), m);
  EXPECT_NE(manifest_error_of(replaced(to_json(sample_manifest()), "\"deltaSince\": \"2026-11-30T00:59:58.000Z\"", "\"deltaSince\": 5"))
                .find("collections[0].deltaSince"),
            std::string::npos);
}

TEST(Manifest, IgnoresUnknownKeys) {
  const auto text = replaced(to_json(sample_manifest()), "\"comment\"", "\"futureField\": {\"a\": [1]}, \"comment\"");
  EXPECT_EQ(parse_manifest(text), sample_manifest());
}

TEST(UtcTime, FormatsAndParses) {
  const auto t = parse_utc_time("2024-02-29T23:59:58.5Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_utc_time(*t), "2024-02-29T23:59:58.500Z");
  EXPECT_EQ(duration_cast<seconds>(parse_utc_time("1970-01-02T00:00:00Z")->time_since_epoch()).count(), 86400);
  for (const char* bad : {"2023-02-29T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T24:00:00Z",
                          "2024-01-01T00:00:00.Z", "2024-1-01T00:00:00Z", ""}) {
    EXPECT_FALSE(parse_utc_time(bad)) << bad;
  }
}

TEST(SafeRelativePath, AcceptsOnlyPathsInsideTheFolder) {
  EXPECT_TRUE(is_safe_relative_path("Resources/000001.jsonl.zst"));
  EXPECT_TRUE(is_safe_relative_path("a"));
  for (const char* bad : {"", "/a", "../a", "a/..", "a//b", "a/./b", "a/"}) EXPECT_FALSE(is_safe_relative_path(bad)) << bad;
}

}  // namespace
}  // namespace idabus::io::files
