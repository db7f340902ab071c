#include "io/cosmos/bulk.hpp"

#include "io/json/document.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cosmos = idabus::io::cosmos;

TEST(BulkEntry, WritesTheOperationAsTheServiceExpectsIt) {
  cosmos::bulk_operation op;
  op.type = cosmos::bulk_operation_type::upsert;
  op.partition_key = {std::string("Person")};
  op.id = "a";
  op.body = R"({"id":"a"})";
  EXPECT_EQ(cosmos::bulk_entry(op),
            R"({"operationType":"Upsert","partitionKey":"[\"Person\"]","id":"a","resourceBody":{"id":"a"}})");
  op.type = cosmos::bulk_operation_type::remove;
  op.if_match = "\"e1\"";
  EXPECT_EQ(cosmos::bulk_entry(op),
            R"({"operationType":"Delete","partitionKey":"[\"Person\"]","id":"a","ifMatch":"\"e1\""})");
}

TEST(BulkBatchBuilder, CutsAtTheOperationByteAndRuLimitsButTakesAnOversizedFirstOperation) {
  cosmos::bulk_limits limits;
  limits.max_operations = 3;
  limits.max_body_bytes = 30;
  limits.max_ru = 12;
  cosmos::bulk_batch_builder builder(limits);
  EXPECT_TRUE(builder.fits(100, 100));  // alone
  builder.add("{\"a\":1}", 5);
  EXPECT_FALSE(builder.fits(7, 8));   // RU: 5 + 8 > 12
  EXPECT_TRUE(builder.fits(7, 7));
  builder.add("{\"b\":2}", 7);
  EXPECT_FALSE(builder.fits(1, 0.5));  // RU is full
  EXPECT_EQ(builder.take_body(), "[{\"a\":1},{\"b\":2}]");
  EXPECT_TRUE(builder.empty());
  builder.add("{\"c\":3}", 0);
  EXPECT_FALSE(builder.fits(21, 0));  // bytes: 8 + 21 + 2 > 30
  EXPECT_TRUE(builder.fits(20, 0));
  builder.add("{}", 0);
  builder.add("{}", 0);
  EXPECT_FALSE(builder.fits(2, 0));  // three operations
  EXPECT_EQ(builder.take_body(), "[{\"c\":3},{},{}]");
}

TEST(BulkDisposition, RetriesThrottlesAndTransientFailuresReroutesSplitsReportsTheRest) {
  auto of = [](unsigned status, int substatus = 0) {
    cosmos::bulk_result r;
    r.status = status;
    r.substatus = substatus;
    return cosmos::bulk_disposition_of(r);
  };
  EXPECT_EQ(of(201), cosmos::bulk_disposition::done);
  EXPECT_EQ(of(409), cosmos::bulk_disposition::done);
  EXPECT_EQ(of(400), cosmos::bulk_disposition::done);
  EXPECT_EQ(of(429, 3200), cosmos::bulk_disposition::retry);
  EXPECT_EQ(of(408), cosmos::bulk_disposition::retry);
  EXPECT_EQ(of(449), cosmos::bulk_disposition::retry);
  EXPECT_EQ(of(503), cosmos::bulk_disposition::retry);
  EXPECT_EQ(of(410), cosmos::bulk_disposition::retry);
  EXPECT_EQ(of(410, 1002), cosmos::bulk_disposition::range_gone);
  EXPECT_EQ(of(410, 1007), cosmos::bulk_disposition::range_gone);
}

TEST(ParseBulkResponse, ReadsEachOperationsResultInOrder) {
  const auto results = cosmos::parse_bulk_response(
      R"([{"statusCode":201,"requestCharge":5.5,"eTag":"\"e\""},)"
      R"({"statusCode":429,"subStatusCode":3200,"retryAfterMilliseconds":12.7,"message":"slow down"}])",
      2);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, 201u);
  ASSERT_TRUE(results[0].request_charge.has_value());
  EXPECT_DOUBLE_EQ(*results[0].request_charge, 5.5);
  EXPECT_FALSE(results[1].request_charge.has_value());
  EXPECT_EQ(results[0].etag, "\"e\"");
  EXPECT_EQ(results[0].retry_after.count(), -1);
  EXPECT_EQ(results[1].status, 429u);
  EXPECT_EQ(results[1].substatus, 3200);
  EXPECT_EQ(results[1].retry_after.count(), 12);
  EXPECT_EQ(results[1].message, "slow down");
}

TEST(ParseBulkResponse, RejectsBodiesThatDoNotAnswerEveryOperation) {
  EXPECT_THROW(cosmos::parse_bulk_response(R"({"statusCode":201})", 1), idabus::io::json::parse_error);
  EXPECT_THROW(cosmos::parse_bulk_response(R"([{"statusCode":201}])", 2), idabus::io::json::parse_error);
  EXPECT_THROW(cosmos::parse_bulk_response(R"([{"requestCharge":1}])", 1), idabus::io::json::parse_error);
}
