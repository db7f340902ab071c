#include "io/json/document.hpp"

#include <gtest/gtest.h>

namespace json = idabus::io::json;

TEST(ParsePartitionKeyPath, AcceptsLeadingSlashOrNotAndNestedPaths) {
  EXPECT_EQ(json::parse_partition_key_path("/objecttype"), (std::vector<std::string>{"objecttype"}));
  EXPECT_EQ(json::parse_partition_key_path("objecttype"), (std::vector<std::string>{"objecttype"}));
  EXPECT_EQ(json::parse_partition_key_path("/a/b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(json::parse_partition_key_path(""), std::invalid_argument);
  EXPECT_THROW(json::parse_partition_key_path("/"), std::invalid_argument);
  EXPECT_THROW(json::parse_partition_key_path("/a//b"), std::invalid_argument);
}

TEST(DocumentReader, ReadsIdTsAndStringPartitionKey) {
  json::document_reader reader("/objecttype");
  const auto f = reader.read(R"({"id":"p1","objecttype":"Person","_ts":1700000000,"n":{"objecttype":"x"}})");
  EXPECT_EQ(f.id, "p1");
  EXPECT_EQ(f.ts, 1700000000);
  ASSERT_TRUE(f.partition_key);
  EXPECT_EQ(*f.partition_key, json::scalar(std::string("Person")));
}

TEST(DocumentReader, ReportsAbsentPathAsNulloptAndObjectValueAsUndefined) {
  json::document_reader reader("/objecttype");
  const auto absent = reader.read(R"({"id":"x"})");
  EXPECT_FALSE(absent.partition_key);
  EXPECT_FALSE(absent.ts);
  const auto object = reader.read(R"({"id":"x","objecttype":{"a":1}})");
  ASSERT_TRUE(object.partition_key);
  EXPECT_EQ(*object.partition_key, json::scalar(std::monostate{}));
}

TEST(DocumentReader, ReadsEveryScalarKind) {
  json::document_reader reader("/k");
  EXPECT_EQ(*reader.read(R"({"k":5})").partition_key, json::scalar(5.0));
  EXPECT_EQ(*reader.read(R"({"k":-2.5e3})").partition_key, json::scalar(-2500.0));
  EXPECT_EQ(*reader.read(R"({"k":true})").partition_key, json::scalar(true));
  EXPECT_EQ(*reader.read(R"({"k":false})").partition_key, json::scalar(false));
  EXPECT_EQ(*reader.read(R"({"k":null})").partition_key, json::scalar(nullptr));
  EXPECT_EQ(*reader.read(R"({"k":"caf\u00e9 \"q\""})").partition_key, json::scalar(std::string("caf\xc3\xa9 \"q\"")));
}

TEST(DocumentReader, FollowsNestedPaths) {
  json::document_reader reader("/meta/type");
  EXPECT_EQ(*reader.read(R"({"id":"a","meta":{"x":[1,2],"type":"T"}})").partition_key, json::scalar(std::string("T")));
  EXPECT_FALSE(reader.read(R"({"id":"a","meta":{"x":1}})").partition_key);
  EXPECT_FALSE(reader.read(R"({"id":"a","meta":"T"})").partition_key);
}

TEST(DocumentReader, IdAsPartitionKeyFillsBoth) {
  json::document_reader reader("/id");
  const auto f = reader.read(R"({"_ts":12,"id":"e-1"})");
  EXPECT_EQ(f.id, "e-1");
  EXPECT_EQ(*f.partition_key, json::scalar(std::string("e-1")));
  EXPECT_EQ(f.ts, 12);
}

TEST(DocumentReader, NonStringIdIsAbsentAndFractionalTsIsTruncated) {
  json::document_reader reader("/id");
  const auto f = reader.read(R"({"id":7,"_ts":12.9})");
  EXPECT_FALSE(f.id);
  EXPECT_EQ(f.ts, 12);
}

TEST(DocumentReader, RejectsMalformedJsonAndNonObjectsWithAClearMessage) {
  json::document_reader reader("/k");
  EXPECT_THROW(reader.read(R"({"id":"a",)"), json::parse_error);
  EXPECT_THROW(reader.read(R"([1,2])"), json::parse_error);
  EXPECT_THROW(reader.read(""), json::parse_error);
  EXPECT_THROW(reader.read(R"({"id":"a"} x)"), json::parse_error);
  try {
    reader.read("[1]");
    FAIL();
  } catch (const json::parse_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a JSON object"), std::string::npos) << e.what();
  }
  // The reader is reusable after a failure.
  EXPECT_EQ(reader.read(R"({"id":"ok"})").id, "ok");
}
