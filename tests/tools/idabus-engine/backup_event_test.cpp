#include "tools/idabus-engine/backup_event.hpp"

#include <gtest/gtest.h>

#include <simdjson.h>

namespace idabus::engine {
namespace {

backup_event sample() {
  backup_event e;
  e.id = "e1";
  e.comment = "nightly \"full\"";
  e.created_ms = 1672934046479;
  e.status = backup_status::canceled;
  e.phase = backup_phase::readonly;
  e.error = "boom";
  e.folder = "/b/backup-x";
  e.specification = R"({"Events":{"isincluded":true}})";
  e.modes_before = {true, false};
  e.owner = "o1";
  auto& c = e[collection_kind::events];
  c.included = true;
  c.incremental = true;
  c.since_ms = 1000;
  c.since_from = since_source::computed;
  c.completed_ms = 2000;
  c.documents = 5;
  c.raw_bytes = 6;
  c.compressed_bytes = 7;
  c.chunks = 8;
  c.request_charge = 9.5;
  e.progress_documents = 4;
  e.progress_ru_per_second = 12.25;
  e.timings.basis_started = 1;
  e.timings.readonly_ended = 3;
  return e;
}

TEST(BackupEvent, IsValidJsonWithTheDesignFields) {
  const auto json = to_json(sample());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  EXPECT_EQ(std::string_view(doc["eventType"]), "BackupRequest");
  EXPECT_EQ(std::string_view(doc["status"]), "Canceled");
  EXPECT_EQ(std::string_view(doc["phase"]), "InMaintenanceAndReadonlyMode");
  EXPECT_EQ(std::string_view(doc["requestParameters"]["collections"]["Events"]["type"]), "Incremental");
  EXPECT_EQ(std::string_view(doc["requestParameters"]["collections"]["Events"]["sinceSource"]), "computed");
  EXPECT_EQ(int64_t(doc["requestParameters"]["collections"]["Events"]["documents"]), 5);
  EXPECT_EQ(std::string_view(doc["requestParameters"]["timings"]["basisStarted"]), "1970-01-01T00:00:00.001Z");
  EXPECT_TRUE(doc["requestParameters"]["timings"]["finished"].is_null());
  EXPECT_TRUE(doc["requestParameters"]["collections"]["Resources"].error());
}

TEST(BackupEvent, RoundTripsEveryField) {
  const auto original = sample();
  const auto back = parse_backup_event(to_json(original));
  EXPECT_EQ(to_json(back), to_json(original));
  EXPECT_EQ(back.modes_before, (system_modes{true, false}));
  EXPECT_EQ(back[collection_kind::events].completed_ms, 2000);
}

TEST(BackupEvent, RejectsOtherDocuments) {
  EXPECT_THROW(parse_backup_event(R"({"id":"x","eventType":"Request"})"), std::runtime_error);
  EXPECT_THROW(parse_backup_event("[]"), std::runtime_error);
}

}  // namespace
}  // namespace idabus::engine
