#include "tools/idabus-engine/backup_spec.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

std::string spec_error_of(std::string_view body) {
  try {
    parse_backup_spec(body);
  } catch (const bad_request& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(BackupSpec, ReadsTheDesignExampleWithKeysInAnyCase) {
  const auto s = parse_backup_spec(R"({"resources": {"IsIncluded": true, "isIncremental": true,
      "PreviousCompletedTime": "2023-01-05T15:54:06.479Z", "extra": 1},
    "EVENTS": {"isincluded": true}, "WorkflowExecutions": {"isincluded": false}})");
  EXPECT_TRUE(s[collection_kind::resources].included);
  EXPECT_TRUE(s[collection_kind::resources].incremental);
  EXPECT_EQ(s[collection_kind::resources].previous_completed_ms, 1672934046479);
  EXPECT_TRUE(s[collection_kind::events].included);
  EXPECT_FALSE(s[collection_kind::events].incremental);
  EXPECT_FALSE(s[collection_kind::workflow_executions].included);
}

TEST(BackupSpec, AMissingCollectionIsNotIncluded) {
  const auto s = parse_backup_spec(R"({"Events": {"isincluded": true}, "Resources": null})");
  EXPECT_FALSE(s[collection_kind::resources].included);
  EXPECT_FALSE(s[collection_kind::workflow_executions].included);
}

TEST(BackupSpec, EachBadInputIsNamed) {
  EXPECT_NE(spec_error_of("{\"Events\": ").find("body: not valid JSON"), std::string::npos);
  EXPECT_EQ(spec_error_of("[1]"), "body: expected a JSON object with one member per collection");
  EXPECT_EQ(spec_error_of(R"({"Users": {"isincluded": true}})"),
            "body: unknown collection 'Users' (expected Resources, Events or WorkflowExecutions)");
  EXPECT_EQ(spec_error_of(R"({"Events": {"isincluded": "yes"}})"), "Events.isincluded: expected true or false");
  EXPECT_EQ(spec_error_of(R"({"Events": {"isincluded": true, "isincremental": 1}})"), "Events.isincremental: expected true or false");
  EXPECT_EQ(spec_error_of(R"({"Events": {"isincluded": true, "previouscompletedtime": "last tuesday"}})"),
            "Events.previouscompletedtime: 'last tuesday' is not a date like 2023-01-05T15:54:06.479Z");
  EXPECT_EQ(spec_error_of(R"({"Events": {"isincluded": false}})"),
            "body: no collection is included (set \"isincluded\": true on at least one)");
  EXPECT_EQ(spec_error_of("{}"), "body: no collection is included (set \"isincluded\": true on at least one)");
  EXPECT_EQ(spec_error_of(R"({"Events": 3})"), "Events: expected an object");
}

TEST(QueryParameter, DecodesCaseInsensitiveNames) {
  EXPECT_EQ(query_parameter("folderPathForBackup=%2Fvar%2Fb&comment=nightly+run", "folderpathforbackup"), "/var/b");
  EXPECT_EQ(query_parameter("folderPathForBackup=%2Fvar%2Fb&comment=nightly+run", "Comment"), "nightly run");
  EXPECT_EQ(query_parameter("a=1", "b"), std::nullopt);
  EXPECT_EQ(query_parameter("", "b"), std::nullopt);
  EXPECT_THROW(query_parameter("b=%zz", "b"), bad_request);
}

}  // namespace
}  // namespace idabus::engine
