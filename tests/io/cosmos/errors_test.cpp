#include "io/cosmos/errors.hpp"

#include <gtest/gtest.h>

namespace cosmos = idabus::io::cosmos;

TEST(CosmosError, DescribesOperationLinkStatusSubstatusMessageAndActivity) {
  const cosmos::cosmos_error e(cosmos::error_details{"query documents", "dbs/idabus/colls/Resources", 410, 1002, "act-1",
                                                     "PartitionKeyRangeGone"});
  EXPECT_STREQ(e.what(),
               "query documents on dbs/idabus/colls/Resources failed: HTTP 410/1002 Gone: PartitionKeyRangeGone "
               "(activity id act-1)");
  EXPECT_EQ(e.status(), 410u);
  EXPECT_EQ(e.substatus(), 1002);
}

TEST(CosmosError, LeavesOutWhatIsUnknown) {
  EXPECT_EQ(cosmos::describe({"read account", "", 503, 0, "", ""}), "read account failed: HTTP 503 Service Unavailable");
}

TEST(ServerMessageOf, TakesTheJsonMessageOrAShortSanitizedExcerpt) {
  EXPECT_EQ(cosmos::server_message_of(R"({"code":"Conflict","message":"Entity with the specified id already exists"})"),
            "Entity with the specified id already exists");
  EXPECT_EQ(cosmos::server_message_of("<html>\r\nBad gateway</html>"), "<html>  Bad gateway</html>");
  EXPECT_EQ(cosmos::server_message_of(std::string(500, 'x')).size(), 200u);
  EXPECT_EQ(cosmos::server_message_of(""), "");
}

TEST(StatusReason, NamesTheStatusesCosmosUses) {
  EXPECT_EQ(cosmos::status_reason(429), "Too Many Requests");
  EXPECT_EQ(cosmos::status_reason(412), "Precondition Failed");
  EXPECT_EQ(cosmos::status_reason(449), "Retry With");
}
