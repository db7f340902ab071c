#include "tools/cosmos-emulator/bulk.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;

struct parsed {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded;
  std::vector<bulk_entry> entries;
  std::optional<std::string> error;

  explicit parsed(std::string_view body) : padded(body) { error = parse_bulk(parser, padded, entries); }
};

TEST(BulkBody, ParsesEveryOperationWithItsFields) {
  parsed p(R"([{"operationType":"Create","partitionKey":"[\"a\"]","resourceBody":{"id":"1","pk":"a"}},)"
           R"({"operationType":"Upsert","partitionKey":["b"],"resourceBody":{"id":"2"},"ifMatch":"\"e\""},)"
           R"({"operationType":"Read","id":"3","partitionKey":"[\"c\"]"},)"
           R"({"operationType":"Replace","id":"4","partitionKey":"[\"d\"]","resourceBody":{"id":"4"}},)"
           R"({"operationType":"Delete","id":"5","partitionKey":"[5]"}])");
  ASSERT_FALSE(p.error) << *p.error;
  ASSERT_EQ(p.entries.size(), 5u);
  EXPECT_EQ(p.entries[0].request.op, document_op::create);
  EXPECT_EQ(p.entries[0].request.partition_key, "[\"a\"]");
  EXPECT_EQ(p.entries[0].request.body, R"({"id":"1","pk":"a"})");
  EXPECT_EQ(p.entries[1].request.op, document_op::upsert);
  EXPECT_EQ(p.entries[1].request.partition_key, "[\"b\"]");
  EXPECT_EQ(p.entries[1].request.if_match, "\"e\"");
  EXPECT_EQ(p.entries[2].request.op, document_op::read);
  EXPECT_EQ(p.entries[2].request.id, "3");
  EXPECT_EQ(p.entries[3].request.op, document_op::replace);
  EXPECT_EQ(p.entries[4].request.op, document_op::remove);
  EXPECT_EQ(p.entries[4].request.partition_key, "[5]");
  for (const auto& e : p.entries) EXPECT_FALSE(e.refusal) << *e.refusal;
}

TEST(BulkBody, UnsupportedOperationsAndWritesWithoutBodyAreRefusedEntries) {
  parsed p(R"([{"operationType":"Patch","id":"1","partitionKey":"[\"a\"]"},)"
           R"({"operationType":"Create","partitionKey":"[\"a\"]"}])");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.entries.size(), 2u);
  ASSERT_TRUE(p.entries[0].refusal);
  EXPECT_NE(p.entries[0].refusal->find("Patch"), std::string::npos);
  ASSERT_TRUE(p.entries[1].refusal);
  EXPECT_NE(p.entries[1].refusal->find("resourceBody"), std::string::npos);
}

TEST(BulkBody, BodyThatIsNotAnArrayOfObjectsIsAnError) {
  EXPECT_TRUE(parsed(R"({"operationType":"Create"})").error);
  EXPECT_TRUE(parsed("[1]").error);
  EXPECT_TRUE(parsed("not json").error);
  EXPECT_TRUE(parsed(R"([{"operationType":"Create","partitionKey":7}])").error);
  EXPECT_FALSE(parsed("[]").error);
}

TEST(BulkResponse, EachResultCarriesItsStatusChargeAndWhatItsOutcomeNeeds) {
  std::vector<op_result> results(3);
  results[0].status = result_status::created;
  results[0].request_charge = 5;
  results[0].etag = "\"e1\"";
  results[0].body = R"({"id":"1"})";
  results[1].status = result_status::throttled;
  results[1].retry_after = 0ms;
  results[2].status = result_status::partition_key_mismatch;
  results[2].message = "wrong \"key\"";
  EXPECT_EQ(bulk_response_body(results, false),
            R"([{"statusCode":201,"requestCharge":5.00,"eTag":"\"e1\"","resourceBody":{"id":"1"}},)"
            R"({"statusCode":429,"requestCharge":0.00,"subStatusCode":3200,"retryAfterMilliseconds":1,)"
            R"("message":"Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later."},)"
            R"({"statusCode":400,"requestCharge":0.00,"subStatusCode":1001,"message":"wrong \"key\""}])");
  EXPECT_EQ(bulk_response_body(std::span(results).first(1), true),
            R"([{"statusCode":201,"requestCharge":5.00,"eTag":"\"e1\""}])");
  EXPECT_EQ(bulk_response_body({}, false), "[]");
}

}  // namespace
}  // namespace idabus::emulator
