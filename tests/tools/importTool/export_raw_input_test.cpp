#include "tools/importTool/export_raw_input.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/restore_plan.hpp"
#include "support/temp_dir.hpp"
#include "tools/importTool/cli.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& path) { std::ofstream(path) << "[]"; }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const command_error& e) {
    return e.what();
  }
  return "";
}

io::files::import_checkpoint checkpoint() {
  io::files::import_checkpoint c;
  c.database = "db";
  c.collection = "Resources";
  c.partition_key_path = "/objecttype";
  c.files = {{"Resources.000001.json", 10, 100}, {"Resources.000002.json", 5, 50}};
  return c;
}

// A restore folder whose plan lists Resources.000001.json and Resources.000002.json; only the
// second is there.
void write_folder_missing_its_first_file(const fs::path& folder) {
  const std::string second = "[\n{\"id\":\"a\",\"objecttype\":\"Person\"}\n]\n";
  io::files::write_file_atomically(folder / "Resources.000002.json", second);
  io::files::plan_collection c;
  c.name = "Resources";
  c.files = {{"Resources.000001.json", 1, 40, std::string(64, 'a')},
             {"Resources.000002.json", 1, second.size(), std::string(64, 'b')}};
  io::files::restore_plan plan;
  plan.collections.push_back(c);
  io::files::write_restore_plan(folder, plan);
}

std::string error_of(const fs::path& folder, std::string_view collection) {
  try {
    resolve_export_raw_input(folder, collection);
  } catch (const command_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected command_error";
  return "";
}

}  // namespace

TEST(ExportRawInput, AFolderGivesItsRestoreFilesOfTheCollectionInSequenceOrder) {
  idabus::test::temp_dir dir;
  for (const char* name : {"Resources.000010.json", "Resources.000002.json", "Events.000001.json", "notes.txt",
                           "exportRaw.db.Resources.checkpoint.json"}) {
    touch(dir.path / name);
  }
  const auto input = resolve_export_raw_input(dir.path, "Resources");
  ASSERT_EQ(input.files.size(), 2u);
  EXPECT_EQ(input.files[0].filename(), "Resources.000002.json");
  EXPECT_EQ(input.files[1].filename(), "Resources.000010.json");
  EXPECT_EQ(input.state_folder, dir.path);
  EXPECT_TRUE(input.note.empty());
}

TEST(ExportRawInput, AFolderOfAnotherSingleCollectionIsImportedWithANote) {
  idabus::test::temp_dir dir;
  touch(dir.path / "Resources.000001.json");
  const auto input = resolve_export_raw_input(dir.path, "RestoredResources");
  ASSERT_EQ(input.files.size(), 1u);
  EXPECT_NE(input.note.find("importing those of Resources"), std::string::npos) << input.note;
  touch(dir.path / "Events.000001.json");
  EXPECT_EQ(message_of([&] { resolve_export_raw_input(dir.path, "RestoredResources"); }),
            dir.path.string() + " holds no restore files of RestoredResources (found: Events, Resources)");
}

TEST(ExportRawInput, AFileIsImportedAloneWithItsStateNextToIt) {
  idabus::test::temp_dir dir;
  touch(dir.path / "anything.json");
  const auto input = resolve_export_raw_input(dir.path / "anything.json", "Resources");
  ASSERT_EQ(input.files.size(), 1u);
  EXPECT_EQ(input.state_folder, dir.path);
  EXPECT_EQ(message_of([&] { resolve_export_raw_input(dir.path / "missing.json", "Resources"); }),
            (dir.path / "missing.json").string() + ": no such file or folder");
}

TEST(ExportRawInput, ACheckpointIsResumedOnlyForTheSameTargetAndFiles) {
  const fs::path file = "exportRaw.db.Resources.checkpoint.json";
  EXPECT_EQ(message_of([&] { check_resumable(checkpoint(), checkpoint(), file); }), "");
  auto other = checkpoint();
  other.collection = "Events";
  EXPECT_NE(message_of([&] { check_resumable(other, checkpoint(), file); }).find("is for db/Events"), std::string::npos);
  other = checkpoint();
  other.partition_key_path = "/id";
  EXPECT_NE(message_of([&] { check_resumable(other, checkpoint(), file); }).find("partition key /id"), std::string::npos);
  other = checkpoint();
  other.files[1].bytes = 51;
  EXPECT_EQ(message_of([&] { check_resumable(other, checkpoint(), file); }),
            "--resume: " + file.string() + " was written for another Resources.000002.json; rerun without --resume to start over");
  other = checkpoint();
  other.files.pop_back();
  EXPECT_NE(message_of([&] { check_resumable(other, checkpoint(), file); }).find("does not list Resources.000002.json"),
            std::string::npos);
}

TEST(ExportRawInput, AFolderWithoutAFileItsRestorePlanListsIsRefusedNamingIt) {
  idabus::test::temp_dir dir;
  write_folder_missing_its_first_file(dir.path);
  EXPECT_NE(error_of(dir.path, "Resources").find("Resources.000001.json, listed in"), std::string::npos);
  // Also when the collection is found from the folder's files.
  EXPECT_NE(error_of(dir.path, "Events").find("Resources.000001.json, listed in"), std::string::npos);
}

TEST(ExportRawInput, AFolderAsItsRestorePlanListsIsImportedInSequenceOrder) {
  idabus::test::temp_dir dir;
  write_folder_missing_its_first_file(dir.path);
  io::files::write_file_atomically(dir.path / "Resources.000001.json", std::string(40, ' '));
  const auto input = resolve_export_raw_input(dir.path, "Resources");
  EXPECT_EQ(input.files, (std::vector<fs::path>{dir.path / "Resources.000001.json", dir.path / "Resources.000002.json"}));
  EXPECT_EQ(input.state_folder, dir.path);
}

TEST(ExportRawInput, ACollectionItsRestorePlanListsWithoutFilesHasNothingToImport) {
  // generate wrote Resources and an Events collection without documents (no file): importing
  // Events must not take Resources' files as "the files of the one other collection".
  idabus::test::temp_dir dir;
  write_folder_missing_its_first_file(dir.path);
  io::files::write_file_atomically(dir.path / "Resources.000001.json", std::string(40, ' '));
  auto plan = io::files::read_restore_plan(dir.path);
  io::files::plan_collection events;
  events.name = "Events";
  plan.collections.push_back(events);
  io::files::write_restore_plan(dir.path, plan);
  const auto input = resolve_export_raw_input(dir.path, "Events");
  EXPECT_TRUE(input.files.empty());
  EXPECT_TRUE(input.note.empty()) << input.note;
  // Without a plan a folder of one other collection's files is still imported with a note.
  std::filesystem::remove(dir.path / io::files::restore_plan_file_name);
  EXPECT_EQ(resolve_export_raw_input(dir.path, "Events").files.size(), 2u);
}

}  // namespace idabus::import_tool
