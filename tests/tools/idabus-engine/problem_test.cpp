#include "tools/idabus-engine/problem.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

TEST(Problem, IsAnRfc7807DocumentWithEscapedText) {
  const auto r = problem(403, "forbidden-folder", "Forbidden", "folder \"/x\" is outside");
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(r.body, R"({"type":"https://idabus.net/problems/forbidden-folder","title":"Forbidden","status":403,)"
                    R"("detail":"folder \"/x\" is outside"})");
}

TEST(Problem, OtherResponsesCarryTheirContentType) {
  EXPECT_EQ(json_response("\"x\"", 202).header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(text_response("Basis").header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(empty_response(204).body, "");
}

}  // namespace
}  // namespace idabus::engine
