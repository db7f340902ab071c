#include "io/files/restore_plan.hpp"

#include "io/files/atomic_file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

namespace idabus::io::files {
namespace {

restore_plan sample_plan() {
  restore_plan plan;
  plan.until = *parse_utc_time("2026-11-30T02:00:00Z");
  plan.tool_version = "0.1.0";
  plan_collection resources;
  resources.name = "Resources";
  resources.partition_key_path = "/objecttype";
  resources.source_backups = {
      {"id-full", "backup-20261130T010000Z-id-full", backup_type::full, *parse_utc_time("2026-11-30T01:07:12.345Z")},
      {"id-incr", "backup-20261130T013000Z-id-incr", backup_type::incremental,
       *parse_utc_time("2026-11-30T01:31:00Z")}};
  resources.files = {{"Resources.000001.json", 10, 1000, std::string(64, 'a')},
                     {"Resources.000002.json", 3, 300, std::string(64, 'b')}};
  resources.documents = 13;
  resources.bytes = 1300;
  resources.deletes_applied = 2;
  plan.collections.push_back(resources);
  plan_collection events;
  events.name = "Events";
  events.partition_key_path = "/id";
  plan.collections.push_back(events);
  return plan;
}

std::string plan_error_of(std::string_view json) {
  try {
    parse_restore_plan(json);
  } catch (const restore_plan_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected restore_plan_error";
  return "";
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

TEST(RestorePlan, RoundTripsThroughItsJson) {
  const auto plan = sample_plan();
  EXPECT_EQ(parse_restore_plan(to_json(plan)), plan);
}

TEST(RestorePlan, JsonUsesTheDocumentedKeys) {
  const auto json = to_json(sample_plan());
  for (auto key : {"\"formatVersion\": 1", "\"maximumBackupFinalTimeUtc\": \"2026-11-30T02:00:00.000Z\"",
                   "\"partitionKeyPath\": \"/objecttype\"", "\"sourceBackups\"", "\"backupId\": \"id-full\"",
                   "\"type\": \"incremental\"", "\"completedtime\": \"2026-11-30T01:31:00.000Z\"",
                   "\"deletesApplied\": 2", "\"file\": \"Resources.000002.json\"", "\"files\": []"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
  }
}

TEST(RestorePlan, WriteThenReadFromTheFolder) {
  test::temp_dir dir;
  write_restore_plan(dir.path, sample_plan());
  EXPECT_EQ(read_restore_plan(dir.path), sample_plan());
}

TEST(RestorePlan, MissingPlanIsAnErrorNamingTheFile) {
  test::temp_dir dir;
  try {
    read_restore_plan(dir.path);
    FAIL() << "expected restore_plan_error";
  } catch (const restore_plan_error& e) {
    EXPECT_NE(std::string(e.what()).find("restore-plan.json"), std::string::npos) << e.what();
  }
}

TEST(RestorePlan, ErrorsNameTheField) {
  const auto json = to_json(sample_plan());
  EXPECT_NE(plan_error_of("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(plan_error_of("[]").find("must be an object"), std::string::npos);
  EXPECT_NE(plan_error_of(replaced(json, "\"formatVersion\": 1", "\"formatVersion\": 2")).find("formatVersion"),
            std::string::npos);
  EXPECT_NE(plan_error_of(replaced(json, "\"deletesApplied\": 2", "\"deletesApplied\": -2"))
                .find("collections[0].deletesApplied"),
            std::string::npos);
  EXPECT_NE(plan_error_of(replaced(json, "\"type\": \"incremental\"", "\"type\": \"weekly\""))
                .find("collections[0].sourceBackups[1].type"),
            std::string::npos);
  EXPECT_NE(plan_error_of(replaced(json, std::string(64, 'b'), "B")).find("collections[0].files[1].sha256"),
            std::string::npos);
  EXPECT_NE(plan_error_of(replaced(json, "2026-11-30T02:00:00.000Z", "yesterday")).find("maximumBackupFinalTimeUtc"),
            std::string::npos);
}

TEST(RestorePlan, AFileOfAnotherCollectionIsRejected) {
  const auto json = replaced(to_json(sample_plan()), "Resources.000002.json", "Events.000002.json");
  EXPECT_NE(plan_error_of(json).find("collections[0].files[1].file"), std::string::npos);
}

TEST(RestorePlan, AFileNameLeavingTheFolderIsRejected) {
  const auto json = replaced(to_json(sample_plan()), "\"Resources.000002.json\"", "\"../Resources.000002.json\"");
  EXPECT_NE(plan_error_of(json).find("collections[0].files[1].file"), std::string::npos);
}

// A folder as generate leaves it: sample_plan()'s Resources files with the sizes the plan lists.
void write_planned_folder(const std::filesystem::path& folder) {
  write_restore_plan(folder, sample_plan());
  write_file_atomically(folder / "Resources.000001.json", std::string(1000, ' '));
  write_file_atomically(folder / "Resources.000002.json", std::string(300, ' '));
}

std::string listing_error(const std::filesystem::path& folder, std::string_view collection) {
  try {
    list_planned_restore_files(folder, collection);
  } catch (const restore_plan_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected restore_plan_error";
  return "";
}

TEST(PlannedRestoreFiles, AWholeFolderListsThePlansFilesInOrder) {
  test::temp_dir dir;
  write_planned_folder(dir.path);
  const auto resources = list_planned_restore_files(dir.path, "Resources");
  EXPECT_EQ(resources.files,
            (std::vector<std::filesystem::path>{dir.path / "Resources.000001.json", dir.path / "Resources.000002.json"}));
  EXPECT_TRUE(resources.planned);
  // Events is in the plan without files (no documents); WorkflowExecutions is not in it.
  const auto events = list_planned_restore_files(dir.path, "Events");
  EXPECT_TRUE(events.files.empty());
  EXPECT_TRUE(events.planned);
  EXPECT_FALSE(list_planned_restore_files(dir.path, "WorkflowExecutions").planned);
}

TEST(PlannedRestoreFiles, AFileThePlanListsThatIsMissingIsNamed) {
  test::temp_dir dir;
  write_planned_folder(dir.path);
  std::filesystem::remove(dir.path / "Resources.000001.json");
  EXPECT_NE(listing_error(dir.path, "Resources").find("Resources.000001.json, listed in"), std::string::npos);
  write_planned_folder(dir.path);
  std::filesystem::remove(dir.path / "Resources.000002.json");
  EXPECT_NE(listing_error(dir.path, "Resources").find("Resources.000002.json, listed in"), std::string::npos);
}

TEST(PlannedRestoreFiles, AFileOfAnotherSizeIsNamed) {
  test::temp_dir dir;
  write_planned_folder(dir.path);
  write_file_atomically(dir.path / "Resources.000002.json", std::string(299, ' '));
  const auto error = listing_error(dir.path, "Resources");
  EXPECT_NE(error.find("Resources.000002.json has 299 bytes, not the 300 bytes"), std::string::npos) << error;
}

TEST(PlannedRestoreFiles, AFileThePlanDoesNotListIsNamed) {
  test::temp_dir dir;
  write_planned_folder(dir.path);
  write_file_atomically(dir.path / "Resources.000003.json", "[\n]\n");
  write_file_atomically(dir.path / "Events.000001.json", "[\n]\n");
  EXPECT_NE(listing_error(dir.path, "Resources").find("Resources.000003.json is not one of the restore files"),
            std::string::npos);
  EXPECT_NE(listing_error(dir.path, "Events").find("Events.000001.json is not one of the restore files"),
            std::string::npos);
}

TEST(PlannedRestoreFiles, WithoutAPlanTheFolderIsListedAsItIs) {
  test::temp_dir dir;
  write_file_atomically(dir.path / "Resources.000002.json", "[\n]\n");
  const auto listed = list_planned_restore_files(dir.path, "Resources");
  EXPECT_EQ(listed.files, std::vector<std::filesystem::path>{dir.path / "Resources.000002.json"});
  EXPECT_FALSE(listed.planned);
}

}  // namespace
}  // namespace idabus::io::files
