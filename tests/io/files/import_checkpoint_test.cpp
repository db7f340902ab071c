#include "io/files/import_checkpoint.hpp"

#include "io/files/atomic_file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace files = idabus::io::files;

namespace {

files::import_checkpoint sample_checkpoint() {
  files::import_checkpoint c;
  c.database = "idabus";
  c.collection = "Resources";
  c.partition_key_path = "/objecttype";
  c.files = {{"Resources.000001.json", 5000, 15123456}, {"Resources.000002.json", 10, 999}};
  c.position = 5003;
  c.ranges = {{"", "7F", 4990}, {"7F", "FF", 5003}};
  c.rejected = 2;
  c.rejects_bytes = 412;
  return c;
}

}  // namespace

TEST(ImportCheckpoint, RoundTripsThroughItsFile) {
  idabus::test::temp_dir dir;
  const auto path = files::import_checkpoint_path(dir.path, "idabus", "Resources");
  EXPECT_EQ(path.filename(), "exportRaw.idabus.Resources.checkpoint.json");
  EXPECT_FALSE(files::read_import_checkpoint(path));
  files::write_import_checkpoint(path, sample_checkpoint());
  EXPECT_EQ(files::read_import_checkpoint(path), sample_checkpoint());
}

TEST(ImportCheckpoint, ACheckpointThatIsNotThisFormatNamesTheField) {
  auto text = files::to_json(sample_checkpoint());
  // 5010 documents in the files; a range may be completed beyond the position, not beyond them.
  auto beyond_position = files::to_json(sample_checkpoint());
  beyond_position.replace(beyond_position.find("\"completed\": 5003"), 17, "\"completed\": 5010");
  EXPECT_EQ(files::parse_import_checkpoint(beyond_position).ranges[1].completed, 5010u);
  text.replace(text.find("\"completed\": 5003"), 17, "\"completed\": 6000");
  try {
    files::parse_import_checkpoint(text);
    FAIL() << "accepted a range completed beyond the documents of the files";
  } catch (const files::import_checkpoint_error& e) {
    EXPECT_NE(std::string(e.what()).find("ranges[1].completed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(files::parse_import_checkpoint("[1]"), files::import_checkpoint_error);
  EXPECT_THROW(files::parse_import_checkpoint("{\"formatVersion\": 2}"), files::import_checkpoint_error);
}

TEST(ImportRejects, AreAppendedAsJsonLinesAndCutBackToACheckpoint) {
  idabus::test::temp_dir dir;
  const auto path = files::import_rejects_path(dir.path, "idabus", "Resources");
  EXPECT_EQ(path.filename(), "exportRaw.idabus.Resources.rejects.jsonl");
  const std::vector<files::import_reject> first{
      {"Resources.000001.json", 17, "a\"1", R"(["Person"])", 400, 0, "One of the specified inputs is invalid"}};
  const auto length = files::append_rejects(path, first);
  EXPECT_EQ(files::read_file(path),
            R"({"file":"Resources.000001.json","index":17,"id":"a\"1","partitionKey":"[\"Person\"]","status":400,)"
            R"("substatus":0,"reason":"One of the specified inputs is invalid"})" "\n");
  EXPECT_EQ(length, files::read_file(path).size());
  const std::vector<files::import_reject> second{{"Resources.000002.json", 3, "b", "", 0, 0, "no value at /objecttype"}};
  EXPECT_GT(files::append_rejects(path, second), length);
  files::truncate_rejects(path, length);
  EXPECT_EQ(files::read_file(path).size(), length);
}
