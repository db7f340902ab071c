#include "tools/importTool/backup_folder.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace idabus::import_tool {
namespace {

TEST(CollectionTypes, KnownTypesInAnyCaseDuplicatesDroppedOrderKept) {
  EXPECT_EQ(parse_collection_types("Events,resources,EVENTS", command::generate_restore_files),
            (std::vector<std::string>{"Events", "Resources"}));
  EXPECT_EQ(parse_collection_types("WorkflowExecutions", command::generate_restore_files),
            (std::vector<std::string>{"WorkflowExecutions"}));
}

TEST(CollectionTypes, AnUnknownOrEmptyTypeIsAUsageErrorNamingIt) {
  try {
    parse_collection_types("Resources,Groups", command::generate_restore_files);
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_EQ(e.cmd(), command::generate_restore_files);
    EXPECT_NE(std::string(e.what()).find("unknown collection type 'Groups'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_collection_types("Resources,,Events", command::generate_restore_files), usage_error);
  EXPECT_THROW(parse_collection_types("", command::generate_restore_files), usage_error);
  EXPECT_THROW(parse_collection_types("Resources Events", command::generate_restore_files), usage_error);
}

TEST(CollectionTypes, DefaultPartitionKeyPaths) {
  EXPECT_EQ(default_partition_key_path("Resources"), "/objecttype");
  EXPECT_EQ(default_partition_key_path("Events"), "/id");
  EXPECT_EQ(default_partition_key_path("WorkflowExecutions"), "/id");
}

TEST(ScanOrFail, AMissingFolderIsACommandErrorNamingIt) {
  idabus::test::temp_dir dir;
  try {
    scan_or_fail(dir.path / "absent");
    FAIL() << "expected command_error";
  } catch (const command_error& e) {
    EXPECT_EQ(e.code(), exit_failed);
    EXPECT_NE(std::string(e.what()).find("absent"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace idabus::import_tool
