#include "stages/backup.hpp"

#include <gtest/gtest.h>

// run_backup itself needs a Cosmos server: tests/integration/backup_emulator_test.cpp runs it
// against the real cosmos-emulator. Here: the query it sends and the option checks.

namespace idabus::stages {
namespace {

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
}

}  // namespace
}  // namespace idabus::stages
