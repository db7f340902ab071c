#include "tools/cosmos-emulator/routes.hpp"

#include "tools/cosmos-emulator/service.hpp"

#include "io/cosmos/auth.hpp"
#include "io/cosmos/base64.hpp"
#include "io/http/url.hpp"
#include "tools/cosmos-emulator/options.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>

namespace idabus::emulator {
namespace {

namespace http = io::http;
namespace cosmos = io::cosmos;
using namespace std::chrono_literals;

// "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx" in lower-case hex (no std::regex: GCC 12 warns
// inside <regex> under -fsanitize, which -Werror turns into a build failure).
bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

// "<digits>:-1#<digits>"
bool is_session_token(std::string_view s) {
  auto colon = s.find(":-1#");
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return colon != std::string_view::npos && digits(s.substr(0, colon)) && digits(s.substr(colon + 4));
}

struct EmulatorRoutes : ::testing::Test {
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::time_point{} + 1000s;
  std::chrono::system_clock::time_point wall = std::chrono::system_clock::now();
  std::string key = *cosmos::base64_decode(public_emulator_key);
  std::unique_ptr<store> data;
  std::unique_ptr<routes> api;
  fault_injector no_faults{fault_options{}};

  void open(double default_ru = 0) {
    store_options so;
    so.partitions = 4;
    so.default_throughput = default_ru;
    so.steady_now = [this] { return steady; };
    data = std::make_unique<store>(so);
    routes_options ro;
    ro.decoded_key = key;
    ro.host = "127.0.0.1";
    ro.port = 8081;
    ro.now = [this] { return wall; };
    api = std::make_unique<routes>(*data, ro);
  }
  void SetUp() override { open(); }

  // A request signed like an SDK does: the unescaped path's address, the current date.
  http::request signed_request(std::string method, std::string target, std::string body = {},
                               http::header_list extra = {}, std::string signing_key = {}) {
    http::request req;
    req.method = method;
    req.target = target;
    req.body = std::move(body);
    std::string path = *http::percent_decode(target.substr(0, target.find('?')));
    std::string date = cosmos::http_date(wall);
    req.headers.emplace_back("x-ms-date", date);
    req.headers.emplace_back("x-ms-version", "2020-07-15");
    req.headers.emplace_back("authorization", cosmos::authorization_header(signing_key.empty() ? key : signing_key,
                                                                           method, cosmos::address_of(path), date));
    for (auto& h : extra) req.headers.push_back(std::move(h));
    return req;
  }
  // Through the production entry point (what main's server handler calls), without faults or latency.
  http::response serve(const http::request& req) { return serve_request(*api, no_faults, 0ms, req).message; }
  http::response call(std::string method, std::string target, std::string body = {}, http::header_list extra = {}) {
    return serve(signed_request(std::move(method), std::move(target), std::move(body), std::move(extra)));
  }
  void make_collection(std::string throughput = {}) {
    ASSERT_EQ(call("POST", "/dbs", R"({"id":"db"})").status, 201u);
    http::header_list h;
    if (!throughput.empty()) h.emplace_back("x-ms-offer-throughput", throughput);
    auto res = call("POST", "/dbs/db/colls", R"({"id":"items","partitionKey":{"paths":["/pk"],"kind":"Hash","version":2}})", h);
    ASSERT_EQ(res.status, 201u) << res.body;
  }
  http::response create_doc(std::string id, std::string pk, std::string extra_headers_upsert = {}) {
    http::header_list h{{"x-ms-documentdb-partitionkey", "[\"" + pk + "\"]"}};
    if (!extra_headers_upsert.empty()) h.emplace_back("x-ms-documentdb-is-upsert", "True");
    return call("POST", "/dbs/db/colls/items/docs", R"({"id":")" + id + R"(","pk":")" + pk + R"(","v":1})", h);
  }
  static std::string field(const std::string& json, const char* name) {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(json);
    auto doc = parser.iterate(padded);
    std::string_view v;
    if (doc[name].get_string().get(v)) return {};
    return std::string(v);
  }
};

TEST_F(EmulatorRoutes, AccountAdvertisesTheEndpointTheClientUsed) {
  auto req = signed_request("GET", "/");
  req.headers.emplace_back("Host", "localhost:4711");
  auto res = serve(req);
  ASSERT_EQ(res.status, 200u);
  EXPECT_NE(res.body.find(R"("databaseAccountEndpoint":"http://localhost:4711/")"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("queryEngineConfiguration"), std::string::npos);
  EXPECT_EQ(res.header("content-type"), "application/json");
}

TEST_F(EmulatorRoutes, EveryResponseCarriesActivityIdChargeAndSessionToken) {
  auto res = call("POST", "/dbs", R"({"id":"db"})");
  ASSERT_EQ(res.status, 201u);
  EXPECT_TRUE(is_uuid_v4(res.header("x-ms-activity-id"))) << res.header("x-ms-activity-id");
  EXPECT_FALSE(res.header("x-ms-request-charge").empty());
  EXPECT_TRUE(is_session_token(res.header("x-ms-session-token"))) << res.header("x-ms-session-token");
  EXPECT_FALSE(res.header("etag").empty());
  auto second = call("GET", "/dbs/db");
  EXPECT_NE(second.header("x-ms-activity-id"), res.header("x-ms-activity-id"));
}

TEST_F(EmulatorRoutes, MissingAuthorizationIs401WithCosmosErrorBody) {
  http::request req;
  req.method = "GET";
  req.target = "/dbs";
  req.headers.emplace_back("x-ms-date", cosmos::http_date(wall));
  auto res = serve(req);
  EXPECT_EQ(res.status, 401u);
  EXPECT_EQ(field(res.body, "code"), "Unauthorized");
  EXPECT_NE(field(res.body, "message").find("authorization"), std::string::npos);
}

TEST_F(EmulatorRoutes, SignatureWithAnotherKeyIs401NamingWhatTheServerSigned) {
  auto req = signed_request("GET", "/dbs/db", {}, {}, "another key entirely");
  auto res = serve(req);
  EXPECT_EQ(res.status, 401u);
  auto message = field(res.body, "message");
  EXPECT_NE(message.find("signature does not match"), std::string::npos) << message;
  EXPECT_NE(message.find("dbs/db"), std::string::npos) << message;
}

TEST_F(EmulatorRoutes, DateMoreThan15MinutesOffIs403) {
  auto req = signed_request("GET", "/dbs");
  wall += 16min;
  auto res = serve(req);
  EXPECT_EQ(res.status, 403u);
  EXPECT_EQ(field(res.body, "code"), "Forbidden");
  wall -= 2min;  // 14 minutes of skew is tolerated
  EXPECT_EQ(serve(req).status, 200u);
}

TEST_F(EmulatorRoutes, UnknownDatabaseIs404NotFound) {
  auto res = call("GET", "/dbs/nope");
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(field(res.body, "code"), "NotFound");
}

TEST_F(EmulatorRoutes, CollectionNamesArePercentDecodedAndSignedUnescaped) {
  ASSERT_EQ(call("POST", "/dbs", R"({"id":"my db"})").status, 201u);
  auto res = call("GET", "/dbs/my%20db");
  EXPECT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(field(res.body, "id"), "my db");
}

TEST_F(EmulatorRoutes, PartitionKeyRangesListsOneRangePerPartitionWithItemCount) {
  make_collection();
  auto res = call("GET", "/dbs/db/colls/items/pkranges");
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("x-ms-item-count"), "4");
}

TEST_F(EmulatorRoutes, DocumentLifecycleFollowsCosmosStatusCodes) {
  make_collection();
  auto created = create_doc("a", "p");
  ASSERT_EQ(created.status, 201u) << created.body;
  auto etag = std::string(created.header("etag"));
  EXPECT_EQ(field(created.body, "_etag"), etag);
  auto again = create_doc("a", "p");
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(field(again.body, "code"), "Conflict");
  http::header_list pk{{"x-ms-documentdb-partitionkey", "[\"p\"]"}};
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/a", {}, pk).status, 200u);
  auto stale = pk;
  stale.emplace_back("If-Match", "\"not-the-etag\"");
  auto r412 = call("PUT", "/dbs/db/colls/items/docs/a", R"({"id":"a","pk":"p","v":2})", stale);
  EXPECT_EQ(r412.status, 412u);
  EXPECT_EQ(field(r412.body, "code"), "PreconditionFailed");
  auto fresh = pk;
  fresh.emplace_back("If-Match", etag);
  auto replaced = call("PUT", "/dbs/db/colls/items/docs/a", R"({"id":"a","pk":"p","v":2})", fresh);
  EXPECT_EQ(replaced.status, 200u) << replaced.body;
  EXPECT_NE(replaced.header("etag"), etag);
  EXPECT_EQ(call("DELETE", "/dbs/db/colls/items/docs/a", {}, pk).status, 204u);
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/a", {}, pk).status, 404u);
}

TEST_F(EmulatorRoutes, UpsertCreatesThenReplaces) {
  make_collection();
  EXPECT_EQ(create_doc("u", "p", "upsert").status, 201u);
  EXPECT_EQ(create_doc("u", "p", "upsert").status, 200u);
}

TEST_F(EmulatorRoutes, PreferReturnMinimalOmitsTheDocumentFromWriteResponses) {
  make_collection();
  http::header_list h{{"x-ms-documentdb-partitionkey", "[\"p\"]"}, {"Prefer", "return=minimal"}};
  auto res = call("POST", "/dbs/db/colls/items/docs", R"({"id":"m","pk":"p"})", h);
  EXPECT_EQ(res.status, 201u);
  EXPECT_TRUE(res.body.empty()) << res.body;
  EXPECT_FALSE(res.header("etag").empty());
  http::header_list bulk{{"x-ms-cosmos-is-batch-request", "True"}, {"Prefer", "return=minimal"}};
  auto b = call("POST", "/dbs/db/colls/items/docs",
                R"([{"operationType":"Upsert","partitionKey":"[\"p\"]","resourceBody":{"id":"m2","pk":"p"}}])", bulk);
  ASSERT_EQ(b.status, 200u) << b.body;
  EXPECT_EQ(b.body.find("resourceBody"), std::string::npos) << b.body;
  EXPECT_NE(b.body.find("eTag"), std::string::npos) << b.body;
}

TEST_F(EmulatorRoutes, MissingPartitionKeyHeaderIs400) {
  make_collection();
  auto res = call("POST", "/dbs/db/colls/items/docs", R"({"id":"x","pk":"p"})");
  EXPECT_EQ(res.status, 400u);
  EXPECT_EQ(field(res.body, "code"), "BadRequest");
}

TEST_F(EmulatorRoutes, QueryPagesFollowContinuationsAndReturnEveryDocumentOnce) {
  make_collection();
  for (int i = 0; i < 25; ++i) ASSERT_EQ(create_doc("d" + std::to_string(i), "p" + std::to_string(i % 7)).status, 201u);
  std::set<std::string> seen;
  std::string continuation;
  int pages = 0;
  do {
    http::header_list h{{"x-ms-documentdb-isquery", "True"},
                        {"Content-Type", "application/query+json"},
                        {"x-ms-max-item-count", "10"}};
    if (!continuation.empty()) h.emplace_back("x-ms-continuation", continuation);
    auto res = call("POST", "/dbs/db/colls/items/docs", R"({"query":"SELECT * FROM c WHERE c.v = @v","parameters":[{"name":"@v","value":1}]})", h);
    ASSERT_EQ(res.status, 200u) << res.body;
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(res.body);
    auto doc = parser.iterate(padded);
    std::size_t count = 0;
    for (auto d : doc["Documents"].get_array()) {
      std::string_view id = d["id"].get_string();
      EXPECT_TRUE(seen.insert(std::string(id)).second) << "duplicate " << id;
      ++count;
    }
    EXPECT_EQ(res.header("x-ms-item-count"), std::to_string(count));
    EXPECT_LE(count, 10u);
    continuation = std::string(res.header("x-ms-continuation"));
    ASSERT_LT(++pages, 50);
  } while (!continuation.empty());
  EXPECT_EQ(seen.size(), 25u);
}

TEST_F(EmulatorRoutes, ReadFeedPagesWithMaxItemCount) {
  make_collection();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(create_doc("d" + std::to_string(i), "same").status, 201u);
  auto res = call("GET", "/dbs/db/colls/items/docs", {}, {{"x-ms-max-item-count", "2"}});
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.header("x-ms-item-count"), "2");
  EXPECT_FALSE(res.header("x-ms-continuation").empty());
}

TEST_F(EmulatorRoutes, BadMaxItemCountIs400NamingTheHeader) {
  make_collection();
  auto res = call("GET", "/dbs/db/colls/items/docs", {}, {{"x-ms-max-item-count", "lots"}});
  EXPECT_EQ(res.status, 400u);
  EXPECT_NE(field(res.body, "message").find("x-ms-max-item-count"), std::string::npos);
}

TEST_F(EmulatorRoutes, QueryPlanRequestAnswersAPlanCoveringTheWholeKeySpace) {
  make_collection();
  auto res = call("POST", "/dbs/db/colls/items/docs", R"({"query":"SELECT * FROM c"})",
                  {{"x-ms-cosmos-is-query-plan-request", "True"}, {"Content-Type", "application/query+json"}});
  ASSERT_EQ(res.status, 200u);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(res.body);
  auto doc = parser.iterate(padded);
  EXPECT_EQ(int64_t(doc["partitionedQueryExecutionInfoVersion"]), 2);
  auto info = doc["queryInfo"];
  EXPECT_EQ(std::string_view(info["rewrittenQuery"]), "");
  EXPECT_FALSE(bool(info["hasSelectValue"]));
  auto range = doc["queryRanges"].at(0);
  EXPECT_EQ(std::string_view(range["min"]), "");
  EXPECT_EQ(std::string_view(range["max"]), "FF");
}

TEST_F(EmulatorRoutes, CountPlanIsRewrittenSoThatEachRangeAnswersAPartialCount) {
  make_collection();
  for (int i = 0; i < 12; ++i) ASSERT_EQ(create_doc("d" + std::to_string(i), "p" + std::to_string(i)).status, 201u);
  std::string query = R"({"query":"select value count(1) from c WHERE c.v = @v","parameters":[{"name":"@v","value":1}]})";
  auto plan = call("POST", "/dbs/db/colls/items/docs", query,
                   {{"x-ms-cosmos-is-query-plan-request", "True"}, {"Content-Type", "application/query+json"}});
  ASSERT_EQ(plan.status, 200u);
  EXPECT_NE(plan.body.find(R"("aggregates":["Count"])"), std::string::npos) << plan.body;
  const std::string rewritten = R"(SELECT VALUE [{\"item\": COUNT(1)}] from c WHERE c.v = @v)";
  EXPECT_NE(plan.body.find(R"("rewrittenQuery":")" + rewritten + "\""), std::string::npos) << plan.body;
  int total = 0;
  for (int range = 0; range < 4; ++range) {
    std::string body = R"({"query":")" + rewritten + R"(","parameters":[{"name":"@v","value":1}]})";
    auto res = call("POST", "/dbs/db/colls/items/docs", body,
                    {{"x-ms-documentdb-isquery", "True"}, {"x-ms-documentdb-partitionkeyrangeid", std::to_string(range)}});
    ASSERT_EQ(res.status, 200u) << res.body;
    auto at = res.body.find(R"("Documents":[[{"item":)");
    ASSERT_NE(at, std::string::npos) << res.body;
    total += std::stoi(res.body.substr(at + 22));
  }
  EXPECT_EQ(total, 12);
}

TEST_F(EmulatorRoutes, UnsupportedQueryIs400NamingTheConstruct) {
  make_collection();
  auto res = call("POST", "/dbs/db/colls/items/docs", R"({"query":"SELECT * FROM c ORDER BY c.id"})",
                  {{"x-ms-documentdb-isquery", "true"}});
  EXPECT_EQ(res.status, 400u);
  EXPECT_NE(field(res.body, "message").find("ORDER BY"), std::string::npos) << res.body;
}

TEST_F(EmulatorRoutes, BulkAnswers207WithPerOperationResultsWhenSomeFail) {
  make_collection();
  ASSERT_EQ(create_doc("taken", "p").status, 201u);
  std::string body =
      R"([{"operationType":"Upsert","partitionKey":"[\"p\"]","resourceBody":{"id":"n1","pk":"p"}},)"
      R"({"operationType":"Create","partitionKey":"[\"p\"]","resourceBody":{"id":"taken","pk":"p"}},)"
      R"({"operationType":"Read","id":"taken","partitionKey":"[\"p\"]"},)"
      R"({"operationType":"Patch","id":"taken","partitionKey":"[\"p\"]"}])";
  auto res = call("POST", "/dbs/db/colls/items/docs", body,
                  {{"x-ms-cosmos-is-batch-request", "True"}, {"x-ms-cosmos-batch-atomic", "False"}});
  ASSERT_EQ(res.status, 207u) << res.body;
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(res.body);
  auto doc = parser.iterate(padded);
  std::vector<int64_t> codes;
  for (auto r : doc.get_array()) codes.push_back(int64_t(r["statusCode"]));
  EXPECT_EQ(codes, (std::vector<int64_t>{201, 409, 200, 400}));
}

TEST_F(EmulatorRoutes, BulkOnAnUnknownRangeIs410With1002) {
  make_collection();
  auto res = call("POST", "/dbs/db/colls/items/docs", "[]",
                  {{"x-ms-cosmos-is-batch-request", "True"}, {"x-ms-documentdb-partitionkeyrangeid", "99"}});
  EXPECT_EQ(res.status, 410u);
  EXPECT_EQ(res.header("x-ms-substatus"), "1002");
}

TEST_F(EmulatorRoutes, ThrottledWritesAre429WithRetryAfterAndSubstatus3200) {
  make_collection("400");
  http::response last;
  int i = 0;
  for (; i < 1000; ++i) {
    last = create_doc("t" + std::to_string(i), "hot");
    if (last.status != 201) break;
  }
  ASSERT_EQ(last.status, 429u) << "no throttling after " << i << " writes at 400 RU/s";
  EXPECT_EQ(last.header("x-ms-substatus"), "3200");
  EXPECT_GT(std::stoi(std::string(last.header("x-ms-retry-after-ms"))), 0);
  EXPECT_EQ(field(last.body, "code"), "TooManyRequests");
  steady += 2s;  // the bucket refills
  EXPECT_EQ(create_doc("after", "hot").status, 201u);
}

TEST_F(EmulatorRoutes, OfferIsFoundByResourceLinkAndItsThroughputReplaced) {
  make_collection("1000");
  auto coll = call("GET", "/dbs/db/colls/items");
  auto self = field(coll.body, "_self");
  ASSERT_FALSE(self.empty());
  auto res = call("POST", "/offers", R"({"query":"SELECT * from root where root.resource = \")" + self + R"(\""})",
                  {{"x-ms-documentdb-isquery", "True"}, {"Content-Type", "application/query+json"}});
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.header("x-ms-item-count"), "1");
  auto id_at = res.body.find("\"id\":\"");
  ASSERT_NE(id_at, std::string::npos);
  std::string offer_id = res.body.substr(id_at + 6, res.body.find('"', id_at + 6) - id_at - 6);
  auto read = call("GET", "/offers/" + offer_id);
  ASSERT_EQ(read.status, 200u);
  std::string replaced_body = R"({"id":")" + offer_id + R"(","content":{"offerThroughput":2000}})";
  auto put = call("PUT", "/offers/" + offer_id, replaced_body);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_NE(put.body.find("2000"), std::string::npos);
}

TEST_F(EmulatorRoutes, DocumentWithTwoIdsOrTwoPartitionKeysIs400AndStoresNothing) {
  make_collection();
  const http::header_list pk{{"x-ms-documentdb-partitionkey", "[\"p\"]"}};
  auto res = call("POST", "/dbs/db/colls/items/docs", R"({"id":"first","pk":"p","id":"last"})", pk);
  EXPECT_EQ(res.status, 400u) << res.body;
  EXPECT_EQ(field(res.body, "code"), "BadRequest");
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/first", {}, pk).status, 404u);
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/last", {}, pk).status, 404u);
  // Likewise two values of the partition key property.
  EXPECT_EQ(call("POST", "/dbs/db/colls/items/docs", R"({"id":"two-keys","pk":"p","pk":"q"})", pk).status, 400u);
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/two-keys", {}, pk).status, 404u);
  // The same inside a bulk request: that operation fails, the others run.
  auto bulk = call("POST", "/dbs/db/colls/items/docs",
                   R"([{"operationType":"Create","partitionKey":"[\"p\"]","resourceBody":{"id":"a","pk":"p","id":"b"}},)"
                   R"({"operationType":"Create","partitionKey":"[\"p\"]","resourceBody":{"id":"c","pk":"p"}}])",
                   {{"x-ms-cosmos-is-batch-request", "True"}});
  ASSERT_EQ(bulk.status, 207u) << bulk.body;
  EXPECT_NE(bulk.body.find(R"({"statusCode":400)"), std::string::npos) << bulk.body;
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/a", {}, pk).status, 404u);
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/b", {}, pk).status, 404u);
  EXPECT_EQ(call("GET", "/dbs/db/colls/items/docs/c", {}, pk).status, 200u);
}

TEST_F(EmulatorRoutes, OfferThroughputOutside400To1000000Is400) {
  ASSERT_EQ(call("POST", "/dbs", R"({"id":"db"})").status, 201u);
  const std::string body = R"({"id":"items","partitionKey":{"paths":["/pk"],"kind":"Hash","version":2}})";
  for (const char* bad : {"1e30", "-5", "abc", "399", "1000001", "", "nan", "inf"}) {
    auto res = call("POST", "/dbs/db/colls", body, {{"x-ms-offer-throughput", bad}});
    EXPECT_EQ(res.status, 400u) << "x-ms-offer-throughput: '" << bad << "' " << res.body;
    EXPECT_EQ(field(res.body, "code"), "BadRequest") << bad;
  }
  EXPECT_EQ(call("GET", "/dbs/db/colls/items").status, 404u) << "no rejected request created the collection";
  ASSERT_EQ(call("POST", "/dbs/db/colls", body, {{"x-ms-offer-throughput", "400"}}).status, 201u);
  auto offers = call("GET", "/offers");
  auto id_at = offers.body.find("\"id\":\"");
  ASSERT_NE(id_at, std::string::npos);
  const std::string offer_id = offers.body.substr(id_at + 6, offers.body.find('"', id_at + 6) - id_at - 6);
  for (const char* bad : {"1e30", "-5", "\"abc\"", "399"}) {
    auto put = call("PUT", "/offers/" + offer_id, std::string(R"({"content":{"offerThroughput":)") + bad + "}}");
    EXPECT_EQ(put.status, 400u) << bad << " " << put.body;
  }
  auto read = call("GET", "/offers/" + offer_id);
  EXPECT_NE(read.body.find(R"("offerThroughput":400,)"), std::string::npos) << read.body;
  EXPECT_EQ(call("PUT", "/offers/" + offer_id, R"({"content":{"offerThroughput":1000000}})").status, 200u);
}

TEST_F(EmulatorRoutes, UnknownPathIs404AndWrongMethodIs405) {
  EXPECT_EQ(call("GET", "/nothing/here").status, 404u);
  auto res = call("PATCH", "/dbs");
  EXPECT_EQ(res.status, 405u);
  EXPECT_EQ(field(res.body, "code"), "MethodNotAllowed");
}

TEST(RoutesErrorResponse, EscapesTheMessageAndSetsTheSubstatus) {
  auto res = error_response(400, "BadRequest", "bad \"value\"\n", 1001);
  EXPECT_EQ(res.body, R"({"code":"BadRequest","message":"bad \"value\"\n"})");
  EXPECT_EQ(res.header("x-ms-substatus"), "1001");
}

}  // namespace
}  // namespace idabus::emulator
