// Interop: our Cosmos client against @vercel/cosmosdb-server (an independent implementation of the
// Cosmos DB REST protocol, pinned in package-lock.json). Each test suite starts the server on
// 127.0.0.1 with a port it picks itself, and stops it at the end. Quirks of that server that
// shape these tests (see README "Cosmos client"): it checks no signature, its pkrange id is the
// number 0, upserts need the partition key header, it throttles never, and every query costs
// O(N^2) in the collection size, so collections stay at a few thousand documents.

#include "io/cosmos/client.hpp"
#include "io/cosmos/errors.hpp"
#include "io/cosmos/parallel_query.hpp"
#include "support/child_process.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/co_assert.hpp"

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace http = idabus::io::http;

namespace {

const std::string emulator_key =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

struct vercel_server {
  std::unique_ptr<idabus::test::child_process> process;
  std::string url;

  explicit vercel_server(bool tls) {
    std::vector<std::string> argv{"node", std::string(IDABUS_NODE_MODULES) + "/@vercel/cosmosdb-server/lib/cli.js",
                                  "--host", "127.0.0.1"};
    if (!tls) argv.emplace_back("--no-ssl");
    process = std::make_unique<idabus::test::child_process>(std::move(argv));
    // "Ready to accept HTTP connections at 127.0.0.1:<port>" (no -p: the server picks a free port)
    const std::string line = process->wait_for_line("Ready to accept", std::chrono::seconds(30));
    const auto at = line.rfind(' ');
    url = std::string(tls ? "https://" : "http://") + line.substr(at + 1);
  }

  std::string connection_string() const {
    return "AccountEndpoint=" + url + "/;AccountKey=" + emulator_key + ";" +
           (url.starts_with("https") ? "DisableServerCertificateValidation=True;" : "");
  }
};

// One HTTP client + Cosmos client on the test's io_context.
struct session {
  cosmos::connection_string cs;
  http::client http;
  cosmos::client client;

  session(net::io_context& ctx, const std::string& connection_string)
      : cs(cosmos::parse_connection_string(connection_string)),
        http(ctx.get_executor(), cosmos::endpoint_of(cs), cosmos::http_options_for(cs)),
        client(http, cs) {}
};

std::vector<cosmos::pk_component> pk_of(std::string value) {
  std::vector<cosmos::pk_component> key;
  key.emplace_back(std::move(value));
  return key;
}

std::string resource_doc(int i) {
  static const char* types[] = {"Person", "Group", "Set", "ManagementPolicyRule"};
  return R"({"id":"res-)" + std::to_string(i) + R"(","objecttype":")" + types[i % 4] +
         R"(","displayName":"N\u00e4me )" + std::to_string(i) + R"(","n":)" + std::to_string(i) + ".50}";
}

// Upserts documents first..last-1 of resource_doc with `workers` requests in flight.
net::awaitable<void> upsert_worker(cosmos::client* client, std::string db, int* next, int last) {
  static const char* types[] = {"Person", "Group", "Set", "ManagementPolicyRule"};
  while (*next < last) {
    const int i = (*next)++;
    auto key = pk_of(types[i % 4]);
    co_await client->upsert_document(db, "Resources", resource_doc(i), std::move(key));
  }
}

net::awaitable<void> upsert_many(cosmos::client& client, std::string db, int count, int workers) {
  int next = 0;
  auto executor = co_await net::this_coro::executor;
  using op_type = decltype(net::co_spawn(executor, upsert_worker(&client, db, &next, count), net::deferred));
  std::vector<op_type> ops;
  for (int w = 0; w < workers; ++w) ops.push_back(net::co_spawn(executor, upsert_worker(&client, db, &next, count), net::deferred));
  auto group = net::experimental::make_parallel_group(std::move(ops));
  auto result = co_await group.async_wait(net::experimental::wait_for_one_error(), net::use_awaitable);
  auto& [order, errors] = result;
  for (auto index : order) {
    if (errors[index]) std::rethrow_exception(errors[index]);
  }
}

net::awaitable<void> create_schema(cosmos::client& client, std::string db) {
  co_await client.create_database_if_missing(db);
  co_await client.create_collection_if_missing(db, "Resources", "/objecttype");
  co_await client.create_collection_if_missing(db, "Events", "/id");
  co_await client.create_collection_if_missing(db, "WorkflowExecutions", "/id");
}

class VercelInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new vercel_server(false); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static vercel_server* server_;
};

vercel_server* VercelInterop::server_ = nullptr;

}  // namespace

TEST_F(VercelInterop, CreatesTheDatabaseAndThreeCollectionsOnlyOnce) {
  const std::string cs = server_->connection_string();
  idabus::test::run_coro([cs](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, cs);
    const std::string account = co_await s.client.read_account();
    EXPECT_NE(account.find("\"id\""), std::string::npos);
    EXPECT_TRUE(co_await s.client.create_database_if_missing("schema"));
    EXPECT_FALSE(co_await s.client.create_database_if_missing("schema"));
    EXPECT_TRUE(co_await s.client.create_collection_if_missing("schema", "Resources", "/objecttype"));
    EXPECT_TRUE(co_await s.client.create_collection_if_missing("schema", "Events", "/id"));
    EXPECT_TRUE(co_await s.client.create_collection_if_missing("schema", "WorkflowExecutions", "/id"));
    EXPECT_FALSE(co_await s.client.create_collection_if_missing("schema", "Resources", "/objecttype"));
    auto ranges = co_await s.client.read_partition_key_ranges("schema", "Resources");
    CO_ASSERT_TRUE(ranges.size() == 1u);
    EXPECT_EQ(ranges[0].id, "0");  // the server sends the number 0
    EXPECT_EQ(ranges[0].min_inclusive, "");
    EXPECT_EQ(ranges[0].max_exclusive, "FF");
  });
}

TEST_F(VercelInterop, UpsertsThreeThousandDocumentsAndPagesEveryIdExactlyOnce) {
  const std::string cs = server_->connection_string();
  idabus::test::run_coro(
      [cs](net::io_context& ctx) -> net::awaitable<void> {
        session s(ctx, cs);
        co_await create_schema(s.client, "paging");
        co_await upsert_many(s.client, "paging", 3000, 8);

        // Page by hand with continuation tokens.
        cosmos::page_request request;
        request.database = "paging";
        request.collection = "Resources";
        request.query.text = "SELECT * FROM c";
        request.partition_key_path = "/objecttype";
        request.max_item_count = 400;
        std::multiset<std::string> ids;
        int pages = 0;
        for (;;) {
          auto page = co_await s.client.query(request);
          ++pages;
          for (const auto& d : page.documents) {
            ids.insert(*d.fields.id);
            EXPECT_TRUE(d.fields.partition_key.has_value());
            EXPECT_TRUE(d.fields.ts.has_value());
          }
          if (!page.continuation) break;
          request.continuation = page.continuation;
        }
        EXPECT_EQ(pages, 8);  // 7 full pages of 400 and one of 200
        EXPECT_EQ(ids.size(), 3000u);
        EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3000u);

        // The same through the all-ranges iterator.
        std::set<std::string> seen;
        std::size_t raw_bytes = 0;
        bool kept_bytes = false;
        cosmos::page_sink sink = [&](cosmos::query_page page) -> net::awaitable<void> {
          for (const auto& d : page.documents) {
            seen.insert(*d.fields.id);
            raw_bytes += d.raw.size();
            // Each raw document is one whole JSON object as the server sent it (this server
            // re-serializes on write, so 1.50 is stored as 1.5; our side keeps its bytes).
            if (*d.fields.id == "res-1") {
              kept_bytes = d.raw.front() == '{' && d.raw.back() == '}' && d.raw.find("\"n\":1.5") != std::string_view::npos;
            }
          }
          co_return;
        };
        request.continuation.reset();
        cosmos::parallel_query_options options;
        auto stats = co_await cosmos::query_all_ranges(s.client, request, options, sink);
        EXPECT_EQ(seen.size(), 3000u);
        EXPECT_EQ(stats.documents, 3000u);
        EXPECT_GT(raw_bytes, 3000u * 60);
        EXPECT_TRUE(kept_bytes);
      },
      std::chrono::seconds(180));
}

TEST_F(VercelInterop, FiltersByTimestamp) {
  const std::string cs = server_->connection_string();
  idabus::test::run_coro([cs](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, cs);
    co_await create_schema(s.client, "ts");
    co_await upsert_many(s.client, "ts", 50, 4);
    cosmos::page_request request;
    request.database = "ts";
    request.collection = "Resources";
    request.query.text = "SELECT * FROM c WHERE c._ts >= @since";
    request.query.parameters.push_back({"@since", "0"});
    request.partition_key_path = "/objecttype";
    request.max_item_count = 100;
    auto all = co_await s.client.query(request);
    CO_ASSERT_TRUE(all.documents.size() == 50u);
    std::int64_t max_ts = 0;
    for (const auto& d : all.documents) max_ts = std::max(max_ts, *d.fields.ts);
    request.query.parameters[0].json_value = std::to_string(max_ts);
    auto latest = co_await s.client.query(request);
    EXPECT_GE(latest.documents.size(), 1u);
    request.query.parameters[0].json_value = std::to_string(max_ts + 1);
    auto none = co_await s.client.query(request);
    EXPECT_EQ(none.documents.size(), 0u);
  });
}

TEST_F(VercelInterop, PointReadReplaceWithEtagAndDelete) {
  const std::string cs = server_->connection_string();
  idabus::test::run_coro([cs](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, cs);
    co_await create_schema(s.client, "crud");
    auto created = co_await s.client.upsert_document("crud", "Resources", R"({"id":"p1","objecttype":"Person","v":1})",
                                                     pk_of("Person"));
    EXPECT_EQ(created.status, 201u);
    auto read = co_await s.client.read_document("crud", "Resources", "p1", pk_of("Person"));
    CO_ASSERT_TRUE(read.has_value());
    EXPECT_NE(read->body.find("\"v\":1"), std::string::npos);
    EXPECT_FALSE(read->etag.empty());
    auto missing = co_await s.client.read_document("crud", "Resources", "nope", pk_of("Person"));
    EXPECT_FALSE(missing.has_value());

    auto replaced = co_await s.client.replace_document("crud", "Resources", "p1",
                                                       R"({"id":"p1","objecttype":"Person","v":2})", pk_of("Person"),
                                                       read->etag);
    EXPECT_EQ(replaced.status, 200u);
    unsigned stale_status = 0;
    std::string stale_message;
    try {
      co_await s.client.replace_document("crud", "Resources", "p1", R"({"id":"p1","objecttype":"Person","v":3})",
                                         pk_of("Person"), read->etag);
    } catch (const cosmos::cosmos_error& e) {
      stale_status = e.status();
      stale_message = e.what();
    }
    EXPECT_EQ(stale_status, 412u) << stale_message;
    EXPECT_NE(stale_message.find("replace document on dbs/crud/colls/Resources/docs/p1"), std::string::npos) << stale_message;

    EXPECT_TRUE(co_await s.client.delete_document("crud", "Resources", "p1", pk_of("Person")));
    EXPECT_FALSE(co_await s.client.delete_document("crud", "Resources", "p1", pk_of("Person")));
    auto gone = co_await s.client.read_document("crud", "Resources", "p1", pk_of("Person"));
    EXPECT_FALSE(gone.has_value());
  });
}

TEST_F(VercelInterop, BulkUpsertsOneHundredDocumentsInOneRequest) {
  const std::string cs = server_->connection_string();
  idabus::test::run_coro([cs](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, cs);
    co_await create_schema(s.client, "bulk");
    std::vector<cosmos::bulk_operation> ops;
    for (int i = 0; i < 100; ++i) {
      cosmos::bulk_operation op;
      op.type = cosmos::bulk_operation_type::upsert;
      op.id = "ev-" + std::to_string(i);
      op.partition_key = pk_of(op.id);
      op.body = R"({"id":")" + op.id + R"(","eventType":"Request","i":)" + std::to_string(i) + "}";
      ops.push_back(std::move(op));
    }
    auto results = co_await s.client.bulk("bulk", "Events", ops);
    CO_ASSERT_TRUE(results.size() == 100u);
    for (const auto& r : results) EXPECT_TRUE(r.status == 200u || r.status == 201u) << r.status << " " << r.message;
    cosmos::page_request request;
    request.database = "bulk";
    request.collection = "Events";
    request.query.text = "SELECT VALUE COUNT(1) FROM c";
    request.max_item_count = 10;
    auto count = co_await s.client.query(request);
    CO_ASSERT_TRUE(count.documents.size() == 1u);
    EXPECT_EQ(count.documents[0].raw, "100");
  });
}

TEST(VercelInteropTls, TalksTlsWithVerificationDisabledByTheConnectionString) {
  vercel_server server(true);
  const std::string cs = server.connection_string();
  idabus::test::run_coro([cs](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, cs);
    EXPECT_TRUE(s.cs.disable_server_certificate_validation);
    const std::string account = co_await s.client.read_account();
    EXPECT_NE(account.find("\"id\""), std::string::npos);
    EXPECT_TRUE(co_await s.client.create_database_if_missing("tls"));
  });
}

TEST(VercelInteropTls, RefusesTheExpiredCertificateWhenVerificationIsOn) {
  vercel_server server(true);
  const std::string cs = "AccountEndpoint=" + server.url + "/;AccountKey=" + emulator_key + ";";
  bool refused = false;
  try {
    idabus::test::run_coro([cs](net::io_context& ctx) -> net::awaitable<void> {
      session s(ctx, cs);
      co_await s.client.read_account();
    });
  } catch (const http::transport_error& e) {
    refused = e.kind() == http::transport_error_kind::tls_failed;
    EXPECT_EQ(std::string(e.what()).find(emulator_key.substr(0, 16)), std::string::npos);
  }
  EXPECT_TRUE(refused);
}
