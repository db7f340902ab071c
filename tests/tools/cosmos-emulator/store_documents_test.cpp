// Tests of store_documents.cpp (through the store's public interface).
#include "store_fixture.hpp"
#include "io/cosmos/epk.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;

TEST_F(store_fixture, DocumentsLandInTheRangeHoldingTheirEpk) {
  auto ranges = s->list_partition_key_ranges("db", "items").body;
  std::set<std::string> used;
  for (int i = 0; i < 64; ++i) {
    const std::string pk = "tenant-" + std::to_string(i);
    auto r = create("d" + std::to_string(i), pk);
    ASSERT_EQ(r.status, result_status::created);
    const std::vector<io::cosmos::pk_component> key{pk};
    const auto epk = io::cosmos::effective_partition_key_v2(key);
    const std::string base = "/PartitionKeyRanges/" + r.range_id;
    EXPECT_TRUE(io::cosmos::epk_in_range(epk, field(ranges, (base + "/minInclusive").c_str()),
                                         field(ranges, (base + "/maxExclusive").c_str())))
        << pk << " epk " << epk << " in range " << r.range_id;
    used.insert(r.range_id);
  }
  EXPECT_EQ(used.size(), 4u) << "64 keys should spread over all 4 ranges";
}

TEST_F(store_fixture, StoredDocumentKeepsClientBytesAndGetsSystemProperties) {
  const std::string body = R"({"_rid":"fake","id":"a","pk":"p","n":1.50e0,"s":"caf\u00e9","_ts":1})";
  auto r = put(document_op::create, body, "p");
  ASSERT_EQ(r.status, result_status::created) << r.message;
  EXPECT_EQ(r.body.rfind(R"({"id":"a","pk":"p","n":1.50e0,"s":"caf\u00e9",)", 0), 0u) << r.body;
  EXPECT_NE(field(r.body, "/_rid"), "fake");
  EXPECT_EQ(field(r.body, "/_ts"), "1700000000");
  EXPECT_EQ(field(r.body, "/_attachments"), "attachments/");
  EXPECT_EQ(field(r.body, "/_etag"), r.etag);
  EXPECT_EQ(r.etag.front(), '"');
  EXPECT_NE(field(r.body, "/_self").find("/docs/" + field(r.body, "/_rid") + "/"), std::string::npos);
  auto back = read("a", "p");
  EXPECT_EQ(back.status, result_status::ok);
  EXPECT_EQ(back.body, r.body);
  EXPECT_NEAR(back.request_charge, 1.0, 0.01);
  EXPECT_NEAR(r.request_charge, 5.0, 0.01);
}

TEST_F(store_fixture, CreateConflictsOnSameIdAndPartitionKeyOnly) {
  EXPECT_EQ(create("a", "p").status, result_status::created);
  auto again = create("a", "p");
  EXPECT_EQ(again.status, result_status::conflict);
  EXPECT_GT(again.request_charge, 0);
  EXPECT_EQ(create("a", "other").status, result_status::created);
}

TEST_F(store_fixture, UpsertCreatesThenReplacesWithNewEtagAndSameRid) {
  auto first = upsert("a", "p", R"(,"v":1)");
  EXPECT_EQ(first.status, result_status::created);
  unix_seconds += 5;
  auto second = upsert("a", "p", R"(,"v":2)");
  EXPECT_EQ(second.status, result_status::ok);
  EXPECT_NE(first.etag, second.etag);
  EXPECT_EQ(field(first.body, "/_rid"), field(second.body, "/_rid"));
  EXPECT_EQ(field(read("a", "p").body, "/v"), "2");
  EXPECT_EQ(field(second.body, "/_ts"), "1700000005");
}

TEST_F(store_fixture, ReplaceHonoursIfMatch) {
  auto created = create("a", "p");
  EXPECT_EQ(put(document_op::replace, R"({"id":"a","pk":"p","v":1})", "p", std::string("\"stale\""), "a").status,
            result_status::precondition_failed);
  auto ok = put(document_op::replace, R"({"id":"a","pk":"p","v":1})", "p", created.etag, "a");
  EXPECT_EQ(ok.status, result_status::ok);
  EXPECT_EQ(put(document_op::replace, R"({"id":"zz","pk":"p"})", "p", std::nullopt, "zz").status, result_status::not_found);
  EXPECT_EQ(put(document_op::replace, R"({"id":"b","pk":"p"})", "p", std::nullopt, "a").status, result_status::bad_request);
}

TEST_F(store_fixture, DeleteHonoursIfMatchAndReportsMissing) {
  auto created = create("a", "p");
  EXPECT_EQ(remove("a", "p", std::string("\"stale\"")).status, result_status::precondition_failed);
  auto gone = remove("a", "p", created.etag);
  EXPECT_EQ(gone.status, result_status::no_content);
  EXPECT_NEAR(gone.request_charge, 5.0, 0.5);
  EXPECT_EQ(remove("a", "p").status, result_status::not_found);
  auto miss = read("a", "p");
  EXPECT_EQ(miss.status, result_status::not_found);
  EXPECT_DOUBLE_EQ(miss.request_charge, 1.0);
}

TEST_F(store_fixture, ValidatesDocumentsAndPartitionKeys) {
  auto mismatch = put(document_op::create, R"({"id":"a","pk":"p"})", "q");
  EXPECT_EQ(mismatch.status, result_status::partition_key_mismatch);
  document_request no_header;
  no_header.op = document_op::create;
  no_header.body = R"({"id":"a","pk":"p"})";
  auto missing = s->execute("db", "items", no_header);
  EXPECT_EQ(missing.status, result_status::bad_request);
  EXPECT_NE(missing.message.find("missing partition key"), std::string::npos);
  EXPECT_NE(missing.message.find("/pk"), std::string::npos) << "names the collection's partition key path";
  EXPECT_NE(put(document_op::create, R"({"pk":"p"})", "p").message.find("\"id\""), std::string::npos);
  EXPECT_EQ(put(document_op::create, R"({"id":5,"pk":"p"})", "p").status, result_status::bad_request);
  EXPECT_EQ(put(document_op::create, R"({"id":"a/b","pk":"p"})", "p").status, result_status::bad_request);
  EXPECT_EQ(put(document_op::create, R"({"id":"a#b","pk":"p"})", "p").status, result_status::bad_request);
  EXPECT_EQ(put(document_op::create, R"(["id","pk"])", "p").status, result_status::bad_request);
  EXPECT_EQ(put(document_op::create, R"({"id":"a",)", "p").status, result_status::bad_request);
  const std::string big = R"({"id":"big","pk":"p","x":")" + std::string(2u << 20, 'x') + "\"}";
  EXPECT_EQ(put(document_op::create, big, "p").status, result_status::too_large);
  EXPECT_EQ(s->stats().documents, 0u);
}

TEST_F(store_fixture, DocumentWithTwoIdsIsRejectedAndNothingIsStored) {
  for (auto op : {document_op::create, document_op::upsert}) {
    auto r = put(op, R"({"id":"first","pk":"p","id":"last"})", "p");
    EXPECT_EQ(r.status, result_status::bad_request);
    EXPECT_NE(r.message.find("\"id\""), std::string::npos) << r.message;
  }
  EXPECT_EQ(read("first", "p").status, result_status::not_found);
  EXPECT_EQ(read("last", "p").status, result_status::not_found);
  ASSERT_EQ(create("a", "p").status, result_status::created);
  EXPECT_EQ(put(document_op::replace, R"({"id":"a","pk":"p","id":"b"})", "p", std::nullopt, "a").status,
            result_status::bad_request);
  // An escaped key is the same key once unescaped.
  EXPECT_EQ(put(document_op::create, R"({"id":"x","pk":"p","\u0069d":"y"})", "p").status, result_status::bad_request);
}

TEST_F(store_fixture, DocumentWithARepeatedPartitionKeyPropertyIsRejected) {
  auto twice = put(document_op::create, R"({"id":"a","pk":"p","pk":"q"})", "p");
  EXPECT_EQ(twice.status, result_status::bad_request);
  EXPECT_NE(twice.message.find("\"pk\""), std::string::npos) << twice.message;
  EXPECT_EQ(put(document_op::create, R"({"id":"a","pk":"p","pk":"q"})", "q").status, result_status::bad_request);
  EXPECT_EQ(read("a", "p").status, result_status::not_found);
  EXPECT_EQ(read("a", "q").status, result_status::not_found);
  // Repeated members off the path are the client's business.
  EXPECT_EQ(put(document_op::create, R"({"id":"b","pk":"p","x":1,"x":2})", "p").status, result_status::created);
}

TEST_F(store_fixture, RepeatedMemberOnANestedPartitionKeyPathIsRejected) {
  ASSERT_EQ(s->create_collection("db", R"({"id":"nested","partitionKey":{"paths":["/a/b"]}})", std::nullopt).status,
            result_status::created);
  auto create_in_nested = [&](std::string body) {
    document_request r;
    r.op = document_op::create;
    r.body = body;
    r.partition_key = "[\"v\"]";
    return s->execute("db", "nested", r).status;
  };
  EXPECT_EQ(create_in_nested(R"({"id":"1","a":{"b":"v","b":"w"}})"), result_status::bad_request);
  EXPECT_EQ(create_in_nested(R"({"id":"2","a":{"b":"w"},"a":{"b":"v"}})"), result_status::bad_request);
  EXPECT_EQ(create_in_nested(R"({"id":"3","a":{"b":"v","c":1,"c":2}})"), result_status::created);
}

TEST_F(store_fixture, NumericAndMissingPartitionKeysRoute) {
  document_request r;
  r.op = document_op::create;
  r.body = R"({"id":"n","pk":5})";
  r.partition_key = "[5]";
  EXPECT_EQ(s->execute("db", "items", r).status, result_status::created);
  r.body = R"({"id":"u"})";
  r.partition_key = "[{}]";
  EXPECT_EQ(s->execute("db", "items", r).status, result_status::created);
  r.op = document_op::read;
  r.id = "n";
  r.partition_key = "[5.0]";
  EXPECT_EQ(s->execute("db", "items", r).status, result_status::ok);
}

TEST_F(store_fixture, ThrottlesPerPartitionBeforeApplyingWrites) {
  open(400, 4);  // 100 RU/s per partition
  int created = 0;
  op_result last;
  for (int i = 0; i < 100; ++i) {
    last = create("d" + std::to_string(i), "hot");
    if (last.status != result_status::created) break;
    ++created;
  }
  ASSERT_EQ(last.status, result_status::throttled);
  EXPECT_EQ(created, 20);  // 100 RU at 5 RU per 1 KB-or-less write
  EXPECT_GE(last.retry_after, 1ms);
  EXPECT_LE(last.retry_after, 60ms);
  // The throttled write was not applied.
  EXPECT_EQ(read("d" + std::to_string(created), "hot").status, result_status::throttled);
  steady += last.retry_after;
  EXPECT_EQ(read("d" + std::to_string(created), "hot").status, result_status::not_found);
  // Other partitions keep their own budget.
  std::string other;
  const std::string hot_range = create("probe", "hot").range_id;
  for (int i = 0; other.empty() && i < 100; ++i) {
    auto r = create("o" + std::to_string(i), "k" + std::to_string(i));
    if (r.status == result_status::created && r.range_id != hot_range) other = r.range_id;
  }
  EXPECT_FALSE(other.empty());
}

TEST_F(store_fixture, BatchRunsEachOperationAndThrottlesTheRestOfAPartition) {
  const std::string pk = pk_header("p");
  std::vector<std::string> bodies;
  for (int i = 0; i < 40; ++i) bodies.push_back(R"({"id":"b)" + std::to_string(i) + R"(","pk":"p"})");
  std::vector<document_request> reqs;
  for (const auto& b : bodies) {
    document_request r;
    r.op = document_op::upsert;
    r.body = b;
    r.partition_key = pk;
    reqs.push_back(r);
  }
  document_request bad;
  bad.op = document_op::create;
  bad.body = R"({"id":"x","pk":"other"})";
  bad.partition_key = pk;
  reqs.push_back(bad);
  auto results = s->execute_batch("db", "items", reqs);
  ASSERT_EQ(results.size(), reqs.size());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(results[i].status, result_status::created);
  EXPECT_EQ(results.back().status, result_status::partition_key_mismatch);

  open(400, 4);
  results = s->execute_batch("db", "items", reqs);
  int created = 0, throttled = 0;
  for (int i = 0; i < 40; ++i) {
    if (results[i].status == result_status::created) ++created;
    if (results[i].status == result_status::throttled) {
      ++throttled;
      EXPECT_EQ(created, 20) << "throttling starts once the partition is over budget and stays";
    }
  }
  EXPECT_EQ(created + throttled, 40);
  EXPECT_EQ(s->stats().documents, 20u);
}

}  // namespace
}  // namespace idabus::emulator
