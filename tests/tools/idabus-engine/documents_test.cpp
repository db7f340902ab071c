#include "tools/idabus-engine/documents.hpp"

#include "tools/idabus-engine/backup_spec.hpp"

#include <gtest/gtest.h>

#include <set>

namespace idabus::engine {
namespace {

TEST(Documents, NewIdsAreVersion4UuidsAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto id = new_id();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(Documents, ResourceDocumentAddsMissingIdAndObjecttypeWithoutTouchingTheRest) {
  EXPECT_EQ(resource_document(R"({"name":"Ann","n":1.50})", "Person", "p1"),
            R"({"id":"p1","objecttype":"Person","name":"Ann","n":1.50})");
  EXPECT_EQ(resource_document("{}", "Person", "p1"), R"({"id":"p1","objecttype":"Person"})");
  EXPECT_EQ(resource_document(R"({"id":"p1","objecttype":"Person","x":true})", "Person", "p1"),
            R"({"id":"p1","objecttype":"Person","x":true})");
}

TEST(Documents, ResourceDocumentRejectsBadBodies) {
  EXPECT_THROW(resource_document("[1]", "Person", "p1"), bad_request);
  EXPECT_THROW(resource_document("{", "Person", "p1"), bad_request);
  EXPECT_THROW(resource_document(R"({"id":"other"})", "Person", "p1"), bad_request);
  EXPECT_THROW(resource_document(R"({"objecttype":"Group"})", "Person", "p1"), bad_request);
}

TEST(Documents, RequestEventNamesOperationAndTarget) {
  EXPECT_EQ(request_event("e1", write_operation::remove, "Person", "p\"1", 0),
            R"({"id":"e1","eventType":"Request","operation":"Delete","target":{"id":"p\"1","objecttype":"Person"},)"
            R"("createdTime":"1970-01-01T00:00:00.000Z"})");
}

TEST(Documents, ExecutionDocumentCarriesStatusAndStep) {
  EXPECT_EQ(execution_document("x", "onboard", execution_status::running, 2, 3, R"({"a":1})", 0),
            R"({"id":"x","workflowName":"onboard","status":"Running","step":2,"steps":3,"input":{"a":1},)"
            R"("updatedTime":"1970-01-01T00:00:00.000Z"})");
}

}  // namespace
}  // namespace idabus::engine
