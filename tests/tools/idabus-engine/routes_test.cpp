#include "tools/idabus-engine/routes.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

TEST(Routes, MatchesEveryEndpointCaseInsensitively) {
  EXPECT_EQ(match_route("PUT", "/api/v1/Backup/create?folderPathForBackup=/x").which, endpoint::backup_create);
  EXPECT_EQ(match_route("PUT", "/API/V1/backup/CREATE").which, endpoint::backup_create);
  EXPECT_EQ(match_route("POST", "/api/v1/Backup/cancel").which, endpoint::backup_cancel);
  EXPECT_EQ(match_route("GET", "/api/v1/Backup/status").which, endpoint::backup_status);
  EXPECT_EQ(match_route("GET", "/api/v1/System/mode").which, endpoint::system_mode_get);
  EXPECT_EQ(match_route("PUT", "/api/v1/System/mode").which, endpoint::system_mode_put);
  EXPECT_EQ(match_route("GET", "/healthz").which, endpoint::healthz);
  EXPECT_EQ(match_route("GET", "/metrics").which, endpoint::metrics);
  EXPECT_EQ(match_route("DELETE", "/api/v1/Resources/Person/p1").which, endpoint::resource_delete);
  EXPECT_EQ(match_route("POST", "/api/v1/Workflows/onboard/executions").which, endpoint::workflow_start);
}

TEST(Routes, CapturesDecodedSegmentsAndTheQuery) {
  const auto m = match_route("GET", "/api/v1/Resources/Per%20son/a%2Fb?x=1");
  ASSERT_EQ(m.outcome, route_outcome::matched);
  EXPECT_EQ(m.params, (std::vector<std::string>{"Per son", "a/b"}));
  EXPECT_EQ(m.query, "x=1");
  EXPECT_TRUE(m.needs_auth);
  EXPECT_FALSE(match_route("GET", "/healthz").needs_auth);
}

TEST(Routes, UnknownPathIsNotFoundAndWrongMethodListsTheAllowedOnes) {
  EXPECT_EQ(match_route("GET", "/api/v1/Nothing").outcome, route_outcome::not_found);
  EXPECT_EQ(match_route("GET", "/api/v1/Events").outcome, route_outcome::not_found);
  EXPECT_EQ(match_route("GET", "/api/v1/Events/a/b").outcome, route_outcome::not_found);
  const auto m = match_route("POST", "/api/v1/System/mode");
  EXPECT_EQ(m.outcome, route_outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, PUT");
  EXPECT_EQ(match_route("GET", "/api/v1/Backup/create").allow, "PUT");
}

}  // namespace
}  // namespace idabus::engine
