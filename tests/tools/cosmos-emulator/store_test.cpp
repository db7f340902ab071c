#include "tools/cosmos-emulator/store.hpp"

#include "io/cosmos/epk.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <thread>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;

struct store_fixture : ::testing::Test {
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::time_point{} + 1000s;
  std::int64_t unix_seconds = 1700000000;
  std::unique_ptr<store> s;

  store_options options(double ru = 0, std::uint32_t partitions = 4) {
    store_options o;
    o.partitions = partitions;
    o.default_throughput = ru;
    o.steady_now = [this] { return steady; };
    o.unix_now = [this] { return unix_seconds; };
    return o;
  }

  void open(double ru = 0, std::uint32_t partitions = 4) {
    s = std::make_unique<store>(options(ru, partitions));
    ASSERT_EQ(s->create_database(R"({"id":"db"})").status, result_status::created);
    ASSERT_EQ(s->create_collection("db", R"({"id":"items","partitionKey":{"paths":["/pk"],"kind":"Hash","version":2}})",
                                   std::nullopt)
                  .status,
              result_status::created);
  }

  void SetUp() override { open(); }

  static std::string pk_header(std::string_view v) { return "[\"" + std::string(v) + "\"]"; }

  op_result put(document_op op, std::string body, std::string pk, std::optional<std::string> if_match = {},
                std::string id = {}) {
    document_request r;
    r.op = op;
    r.body = body;
    r.id = id;
    const std::string header = pk_header(pk);
    r.partition_key = header;
    if (if_match) r.if_match = *if_match;
    return s->execute("db", "items", r);
  }
  op_result create(std::string id, std::string pk, std::string extra = {}) {
    return put(document_op::create, R"({"id":")" + id + R"(","pk":")" + pk + "\"" + extra + "}", pk);
  }
  op_result upsert(std::string id, std::string pk, std::string extra = {}) {
    return put(document_op::upsert, R"({"id":")" + id + R"(","pk":")" + pk + "\"" + extra + "}", pk);
  }
  op_result read(std::string id, std::string pk) {
    document_request r;
    r.op = document_op::read;
    r.id = id;
    const std::string header = pk_header(pk);
    r.partition_key = header;
    return s->execute("db", "items", r);
  }
  op_result remove(std::string id, std::string pk, std::optional<std::string> if_match = {}) {
    document_request r;
    r.op = document_op::remove;
    r.id = id;
    const std::string header = pk_header(pk);
    r.partition_key = header;
    if (if_match) r.if_match = *if_match;
    return s->execute("db", "items", r);
  }

  query_page run(std::string_view sql, query_options o = {}) {
    auto q = parse_query(sql);
    EXPECT_TRUE(q.query) << q.error;
    return s->query("db", "items", *q.query, o);
  }

  static std::string field(const std::string& json, const char* pointer) {
    simdjson::dom::parser p;
    simdjson::dom::element e;
    if (p.parse(json).at_pointer(pointer).get(e)) return "<missing>";
    if (e.is_string()) return std::string(e.get_string().value());
    return simdjson::minify(e);
  }
};

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
  EXPECT_EQ(mismatch.status, result_status::bad_request);
  EXPECT_EQ(mismatch.substatus, 1001u);
  document_request no_header;
  no_header.op = document_op::create;
  no_header.body = R"({"id":"a","pk":"p"})";
  auto missing = s->execute("db", "items", no_header);
  EXPECT_EQ(missing.status, result_status::bad_request);
  EXPECT_NE(missing.message.find("x-ms-documentdb-partitionkey"), std::string::npos);
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

TEST_F(store_fixture, UnknownCollectionIsNotFound) {
  document_request r;
  r.op = document_op::read;
  r.id = "a";
  EXPECT_EQ(s->execute("db", "nope", r).status, result_status::not_found);
  EXPECT_EQ(run("SELECT * FROM c").status, result_status::ok);
  auto q = parse_query("SELECT * FROM c");
  EXPECT_EQ(s->query("db", "nope", *q.query, {}).status, result_status::not_found);
}

std::vector<std::string> ids_of(const query_page& p) {
  std::vector<std::string> ids;
  simdjson::dom::parser parser;
  for (const auto& d : p.documents) ids.emplace_back(parser.parse(*d)["id"].get_string().value());
  return ids;
}

TEST_F(store_fixture, PagingReturnsEveryDocumentExactlyOnceWithWritesBetweenPages) {
  for (int i = 0; i < 300; ++i) ASSERT_EQ(create("d" + std::to_string(i), "p" + std::to_string(i % 17)).status, result_status::created);
  std::multiset<std::string> seen;
  query_options o;
  o.max_item_count = 37;
  std::optional<std::string> token;
  int pages = 0, extra = 0;
  do {
    if (token) o.continuation = *token;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok) << page.message;
    EXPECT_LE(page.documents.size(), 37u);
    for (auto& id : ids_of(page)) seen.insert(id);
    token = page.continuation;
    // Writes between pages: new documents anywhere in the key space.
    ASSERT_EQ(create("new" + std::to_string(extra), "q" + std::to_string(extra)).status, result_status::created);
    ++extra;
    ++pages;
  } while (token && pages < 100);
  EXPECT_FALSE(token);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(seen.count("d" + std::to_string(i)), 1u) << i;
  for (const auto& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;
}

TEST_F(store_fixture, DocumentsUpdatedDuringPagingAreNeverSkipped) {
  for (int i = 0; i < 100; ++i) ASSERT_EQ(create("d" + std::to_string(i), "p" + std::to_string(i % 7)).status, result_status::created);
  std::map<std::string, std::string> newest;  // id -> last "v" seen
  query_options o;
  o.max_item_count = 10;
  std::optional<std::string> token;
  int round = 0;
  do {
    if (token) o.continuation = *token;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok);
    for (const auto& d : page.documents) newest[field(*d, "/id")] = field(*d, "/v");
    token = page.continuation;
    // Update documents both behind and ahead of the cursor.
    for (int k = 0; k < 3; ++k) {
      const int i = (round * 37 + k * 11) % 100;
      ASSERT_EQ(upsert("d" + std::to_string(i), "p" + std::to_string(i % 7), R"(,"v":)" + std::to_string(round)).status, result_status::ok);
    }
    ++round;
  } while (token && round < 200);
  EXPECT_FALSE(token);
  EXPECT_EQ(newest.size(), 100u);
  // Whatever was updated before the read finished shows up in a version at least that new.
  auto final_page = run("SELECT c.id, c.v FROM c WHERE c.v >= 0", query_options{std::nullopt, std::nullopt, -1, std::nullopt});
  EXPECT_GT(final_page.documents.size(), 0u);
}

TEST_F(store_fixture, ReadFeedOfEmptyCollectionHasNoContinuation) {
  auto page = run("SELECT * FROM c");
  EXPECT_EQ(page.status, result_status::ok);
  EXPECT_TRUE(page.documents.empty());
  EXPECT_FALSE(page.continuation);
  EXPECT_EQ(page.body(), R"({"_rid":")" + page.collection_rid + R"(","Documents":[],"_count":0})");
  EXPECT_DOUBLE_EQ(page.request_charge, 2.5);
}

TEST_F(store_fixture, PageDocumentsAreTheStoredBytesAndSurviveLaterWrites) {
  auto created = create("a", "p", R"(,"n":1.0)");
  auto page = run("SELECT * FROM c");
  ASSERT_EQ(page.documents.size(), 1u);
  EXPECT_EQ(*page.documents[0], created.body);
  remove("a", "p");
  EXPECT_EQ(*page.documents[0], created.body);
  EXPECT_EQ(page.body(), R"({"_rid":")" + page.collection_rid + R"(","Documents":[)" + created.body + R"(],"_count":1})");
}

TEST_F(store_fixture, TsFilterUsesServerTime) {
  for (int i = 0; i < 10; ++i) create("old" + std::to_string(i), "p" + std::to_string(i));
  unix_seconds += 100;
  for (int i = 0; i < 5; ++i) create("new" + std::to_string(i), "p" + std::to_string(i));
  auto q = parse_query("SELECT * FROM c WHERE c._ts >= @since", R"([{"name":"@since","value":1700000100}])");
  ASSERT_TRUE(q.query);
  query_options o;
  o.max_item_count = -1;
  auto page = s->query("db", "items", *q.query, o);
  EXPECT_EQ(page.documents.size(), 5u);
  for (auto& id : ids_of(page)) EXPECT_EQ(id.rfind("new", 0), 0u);
  auto count = run("SELECT VALUE COUNT(1) FROM c WHERE c._ts < 1700000100");
  ASSERT_EQ(count.documents.size(), 1u);
  EXPECT_EQ(*count.documents[0], "10");
}

TEST_F(store_fixture, FieldFiltersProjectionsAndCount) {
  for (int i = 0; i < 20; ++i) create("d" + std::to_string(i), "p" + std::to_string(i), R"(,"n":)" + std::to_string(i));
  query_options all;
  all.max_item_count = -1;
  auto filtered = run("SELECT * FROM c WHERE c.n >= 15 AND c.n != 17", all);
  EXPECT_EQ(filtered.documents.size(), 4u);
  auto projected = run("SELECT c.id, c.n FROM c WHERE c.n = 3", all);
  ASSERT_EQ(projected.documents.size(), 1u);
  EXPECT_EQ(*projected.documents[0], R"({"id":"d3","n":3})");
  auto count = run("SELECT VALUE COUNT(1) FROM c");
  EXPECT_EQ(*count.documents.at(0), "20");
  auto count_filtered = run("SELECT VALUE COUNT(1) FROM c WHERE c.n < 5");
  EXPECT_EQ(*count_filtered.documents.at(0), "5");
}

TEST_F(store_fixture, RangeScopedQueriesPartitionTheDocuments) {
  for (int i = 0; i < 100; ++i) create("d" + std::to_string(i), "p" + std::to_string(i));
  std::size_t total = 0;
  for (int r = 0; r < 4; ++r) {
    query_options o;
    const std::string id = std::to_string(r);
    o.range_id = id;
    o.max_item_count = -1;
    auto page = run("SELECT * FROM c", o);
    ASSERT_EQ(page.status, result_status::ok);
    EXPECT_FALSE(page.continuation);
    EXPECT_EQ(page.range_id, id);
    total += page.documents.size();
  }
  EXPECT_EQ(total, 100u);
}

TEST_F(store_fixture, PartitionKeyScopedQueryReturnsOnlyThatLogicalPartition) {
  for (int i = 0; i < 30; ++i) create("d" + std::to_string(i), "p" + std::to_string(i % 3));
  query_options o;
  const std::string header = pk_header("p1");
  o.partition_key = header;
  o.max_item_count = -1;
  EXPECT_EQ(run("SELECT * FROM c", o).documents.size(), 10u);
}

TEST_F(store_fixture, UnknownRangeIsGone) {
  query_options o;
  o.range_id = "9";
  auto page = run("SELECT * FROM c", o);
  EXPECT_EQ(page.status, result_status::gone);
  EXPECT_EQ(page.substatus, 1002u);
  o.range_id = "01";
  EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::gone);
}

TEST_F(store_fixture, BadContinuationIsAnErrorNotARestart) {
  for (int i = 0; i < 10; ++i) create("d" + std::to_string(i), "p" + std::to_string(i));
  query_options o;
  o.max_item_count = 3;
  auto first = run("SELECT * FROM c", o);
  ASSERT_TRUE(first.continuation);
  const std::string token = *first.continuation;

  for (std::string bad : {std::string("garbage"), std::string(""), token.substr(0, token.size() - 1)}) {
    o.continuation = bad;
    EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::bad_continuation) << bad;
  }
  std::string tampered = token;
  tampered[5] = tampered[5] == '1' ? '2' : '1';
  o.continuation = tampered;
  auto t = run("SELECT * FROM c", o);
  EXPECT_EQ(t.status, result_status::bad_continuation);
  EXPECT_EQ(http_status(t.status), 400u);

  o.continuation = token;  // valid token, different query
  EXPECT_EQ(run("SELECT * FROM c WHERE c._ts > 0", o).status, result_status::bad_continuation);
  o.range_id = "1";  // valid token, different scope
  EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::bad_continuation);
  o.range_id.reset();
  EXPECT_EQ(run("SELECT * FROM c", o).status, result_status::ok);
}

TEST_F(store_fixture, PagesStopAtFourMegabytes) {
  const std::string filler(200 * 1024, 'x');
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(create("d" + std::to_string(i), "p", R"(,"f":")" + filler + "\"").status, result_status::created);
  }
  query_options o;
  o.max_item_count = -1;
  auto page = run("SELECT * FROM c", o);
  EXPECT_LT(page.documents.size(), 30u);
  EXPECT_GE(page.documents.size(), 15u);
  EXPECT_LE(page.body().size(), 4u << 20);
  EXPECT_TRUE(page.continuation);
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
  EXPECT_EQ(last.substatus, 3200u);
  EXPECT_EQ(http_status(last.status), 429u);
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

TEST_F(store_fixture, ThrottledQueryPageReadsNothing) {
  open(400, 1);
  bool throttled = false;
  for (int i = 0; i < 200 && !throttled; ++i) throttled = create("d" + std::to_string(i), "p").status == result_status::throttled;
  ASSERT_TRUE(throttled);
  auto page = run("SELECT * FROM c");
  EXPECT_EQ(page.status, result_status::throttled);
  EXPECT_TRUE(page.documents.empty());
  EXPECT_GT(page.retry_after, 0ms);
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
  EXPECT_EQ(results.back().substatus, 1001u);

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

TEST_F(store_fixture, ConcurrentWritersAndReadersStayConsistent) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 2000; ++i) upsert("t" + std::to_string(t) + "-" + std::to_string(i % 500), "p" + std::to_string(i % 500 % 13));
    });
  }
  threads.emplace_back([this] {
    for (int i = 0; i < 50; ++i) run("SELECT VALUE COUNT(1) FROM c");
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(*run("SELECT VALUE COUNT(1) FROM c").documents.at(0), "1000");
}

}  // namespace
}  // namespace idabus::emulator
