// Tests of store_catalog.cpp (through the store's public interface).
#include "store_fixture.hpp"

#include <gtest/gtest.h>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;

TEST_F(store_fixture, DatabaseAndCollectionBodiesLookLikeCosmos) {
  auto db = s->read_database("db");
  EXPECT_EQ(db.status, result_status::ok);
  EXPECT_EQ(field(db.body, "/_colls"), "colls/");
  EXPECT_EQ(field(db.body, "/_self"), "dbs/" + field(db.body, "/_rid") + "/");
  auto coll = s->read_collection("db", "items");
  EXPECT_EQ(coll.status, result_status::ok);
  EXPECT_EQ(field(coll.body, "/partitionKey/paths/0"), "/pk");
  EXPECT_EQ(field(coll.body, "/partitionKey/version"), "2");
  EXPECT_EQ(field(coll.body, "/_docs"), "docs/");
  EXPECT_EQ(field(coll.body, "/indexingPolicy/indexingMode"), "consistent");
  EXPECT_EQ(s->read_collection("db", field(coll.body, "/_rid")).status, result_status::ok);
  EXPECT_EQ(s->create_database(R"({"id":"db"})").status, result_status::conflict);
  EXPECT_EQ(s->create_collection("db", R"({"id":"items","partitionKey":{"paths":["/pk"]}})", std::nullopt).status,
            result_status::conflict);
  EXPECT_EQ(s->create_collection("nodb", R"({"id":"x","partitionKey":{"paths":["/pk"]}})", std::nullopt).status,
            result_status::not_found);
  auto hier = s->create_collection("db", R"({"id":"h","partitionKey":{"paths":["/a","/b"],"kind":"MultiHash"}})", std::nullopt);
  EXPECT_EQ(hier.status, result_status::bad_request);
  EXPECT_NE(hier.message.find("hierarchical"), std::string::npos);
  EXPECT_EQ(field(s->list_collections("db").body, "/_count"), "1");
  EXPECT_EQ(field(s->list_databases().body, "/Databases/0/id"), "db");
}

TEST_F(store_fixture, CollectionKeepsClientIndexingPolicyAndFieldOrder) {
  auto r = s->create_collection(
      "db", R"({"id":"custom","indexingPolicy":{"indexingMode":"lazy","automatic":false},"partitionKey":{"paths":["/t"],"kind":"Hash"},"defaultTtl":-1})",
      400.0);
  ASSERT_EQ(r.status, result_status::created) << r.message;
  EXPECT_EQ(field(r.body, "/indexingPolicy/indexingMode"), "lazy");
  EXPECT_EQ(field(r.body, "/defaultTtl"), "-1");
  EXPECT_EQ(field(r.body, "/partitionKey/version"), "2");
  EXPECT_EQ(r.body.rfind(R"({"id":"custom","indexingPolicy":{"indexingMode":"lazy","automatic":false},"defaultTtl":-1,)", 0), 0u) << r.body;
  EXPECT_EQ(s->create_collection("db", R"({"id":"k","partitionKey":{"paths":["/t"],"kind":"Range"}})", std::nullopt).status,
            result_status::bad_request);
  EXPECT_EQ(s->create_collection("db", R"({"id":"nokey"})", std::nullopt).status, result_status::bad_request);
  EXPECT_EQ(s->create_collection("db", R"({"id":"t","partitionKey":{"paths":["/t"]}})", -5.0).status, result_status::bad_request);
}

TEST_F(store_fixture, PartitionKeyRangesTileTheKeySpace) {
  auto r = s->list_partition_key_ranges("db", "items");
  ASSERT_EQ(r.status, result_status::ok);
  EXPECT_EQ(field(r.body, "/_count"), "4");
  EXPECT_EQ(field(r.body, "/PartitionKeyRanges/0/minInclusive"), "");
  EXPECT_EQ(field(r.body, "/PartitionKeyRanges/3/maxExclusive"), "FF");
  for (int i = 0; i < 3; ++i) {
    const std::string a = "/PartitionKeyRanges/" + std::to_string(i) + "/maxExclusive";
    const std::string b = "/PartitionKeyRanges/" + std::to_string(i + 1) + "/minInclusive";
    EXPECT_EQ(field(r.body, a.c_str()), field(r.body, b.c_str()));
    EXPECT_LT(field(r.body, ("/PartitionKeyRanges/" + std::to_string(i) + "/minInclusive").c_str()), field(r.body, a.c_str()));
  }
  EXPECT_EQ(field(r.body, "/PartitionKeyRanges/2/id"), "2");
  EXPECT_EQ(field(r.body, "/PartitionKeyRanges/2/status"), "online");
}

TEST_F(store_fixture, OfferThroughputMustBeWithinTheServiceRange) {
  auto make = [&](std::string id, double ru) {
    return s->create_collection("db", R"({"id":")" + id + R"(","partitionKey":{"paths":["/pk"]}})", ru).status;
  };
  EXPECT_EQ(make("low", 399), result_status::bad_request);
  EXPECT_EQ(make("high", 1'000'001), result_status::bad_request);
  EXPECT_EQ(make("huge", 1e30), result_status::bad_request);
  EXPECT_EQ(make("zero", 0), result_status::bad_request);
  EXPECT_EQ(s->read_collection("db", "huge").status, result_status::not_found);
  EXPECT_EQ(make("min", 400), result_status::created);
  EXPECT_EQ(make("max", 1'000'000), result_status::created);
  const std::string offer_id = field(s->list_offers().body, "/Offers/0/id");
  for (const char* bad : {"1e30", "399", "-5", "1000001"}) {
    auto r = s->replace_offer(offer_id, std::string(R"({"content":{"offerThroughput":)") + bad + "}}");
    EXPECT_EQ(r.status, result_status::bad_request) << bad;
    EXPECT_NE(r.message.find("400 to 1000000"), std::string::npos) << r.message;
  }
  EXPECT_EQ(s->replace_offer(offer_id, R"({"content":{"offerThroughput":1000000}})").status, result_status::ok);
}

TEST_F(store_fixture, OfferReplaceChangesTheBudget) {
  open(400, 4);
  auto offers = s->list_offers();
  const std::string offer_id = field(offers.body, "/Offers/0/id");
  auto offer = s->read_offer(offer_id);
  ASSERT_EQ(offer.status, result_status::ok);
  EXPECT_EQ(field(offer.body, "/content/offerThroughput"), "400");
  EXPECT_EQ(field(offer.body, "/offerVersion"), "V2");
  EXPECT_EQ(field(offer.body, "/offerResourceId"), field(s->read_collection("db", "items").body, "/_rid"));
  auto replaced = s->replace_offer(offer_id, R"({"content":{"offerThroughput":40000}})");
  ASSERT_EQ(replaced.status, result_status::ok) << replaced.message;
  EXPECT_EQ(field(s->read_offer(offer_id).body, "/content/offerThroughput"), "40000");
  steady += 1s;
  for (int i = 0; i < 500; ++i) ASSERT_EQ(create("d" + std::to_string(i), "hot").status, result_status::created) << i;
  EXPECT_EQ(s->replace_offer(offer_id, R"({"content":{}})").status, result_status::bad_request);
  EXPECT_EQ(s->replace_offer("nope", R"({"content":{"offerThroughput":400}})").status, result_status::not_found);
  auto q = parse_query("SELECT * FROM root r WHERE r.offerResourceId = @rid",
                       R"([{"name":"@rid","value":")" + field(s->read_collection("db", "items").body, "/_rid") + "\"}]");
  ASSERT_TRUE(q.query) << q.error;
  EXPECT_EQ(field(s->query_offers(*q.query).body, "/_count"), "1");
}

}  // namespace
}  // namespace idabus::emulator
