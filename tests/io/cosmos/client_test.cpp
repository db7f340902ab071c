#include "io/cosmos/client.hpp"

#include "io/cosmos/auth.hpp"
#include "io/cosmos/base64.hpp"
#include "io/cosmos/errors.hpp"
#include "io/http/url.hpp"
#include "support/cosmos_emulator.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/co_assert.hpp"

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace http = idabus::io::http;
using idabus::test::reply;
using idabus::test::scripted_server;

namespace {

using idabus::test::emulator_key;

cosmos::connection_string connection_for(const scripted_server& server) {
  return cosmos::parse_connection_string("AccountEndpoint=" + server.url() + "/;AccountKey=" + emulator_key + ";");
}

struct recording_gate : cosmos::request_gate {
  int acquired = 0;
  int settled = 0;
  double charged = 0;
  std::vector<std::chrono::milliseconds> throttles;
  std::vector<std::string> acquired_keys;   ///< "collection#range" per acquire
  std::vector<std::string> settled_keys;    ///< "collection#range" per settle
  std::vector<std::string> throttled_keys;  ///< "collection#range" per throttle
  std::vector<std::pair<std::string, std::vector<std::string>>> range_reports;
  static std::string text(const cosmos::gate_key& key) { return key.collection + "#" + key.range_id; }
  net::awaitable<void> acquire(cosmos::gate_key key, double) override {
    ++acquired;
    acquired_keys.push_back(text(key));
    co_return;
  }
  void settle(cosmos::gate_key key, double, double actual) override {
    ++settled;
    charged += actual;
    settled_keys.push_back(text(key));
  }
  void throttled(cosmos::gate_key key, std::chrono::milliseconds retry_after) override {
    throttles.push_back(retry_after);
    throttled_keys.push_back(text(key));
  }
  void ranges_changed(std::string collection, std::vector<std::string> range_ids) override {
    range_reports.emplace_back(std::move(collection), std::move(range_ids));
  }
};

// A scripted server, a real HTTP client and the Cosmos client under test, on one io_context.
struct rig {
  scripted_server server;
  http::client http;
  cosmos::client client;
  std::vector<std::string> log;

  rig(net::io_context& ctx, std::vector<reply> script, cosmos::client_options options = {},
      http::client_options http_options = {})
      : server(ctx.get_executor(), std::move(script)),
        http(ctx.get_executor(), http::parse_url(server.url()).endpoint(), http_options),
        client(http, connection_for(server), with_log(std::move(options))) {}

  rig(net::io_context& ctx, scripted_server::handler handler, cosmos::client_options options = {})
      : server(ctx.get_executor(), std::move(handler)),
        http(ctx.get_executor(), http::parse_url(server.url()).endpoint(), http::client_options{}),
        client(http, connection_for(server), with_log(std::move(options))) {}

  cosmos::client_options with_log(cosmos::client_options options) {
    options.log = [this](std::string_view line) { log.emplace_back(line); };
    if (options.jitter_seed == 0) options.jitter_seed = 7;
    options.retry.initial_backoff = std::chrono::milliseconds(5);
    options.retry.max_backoff = std::chrono::milliseconds(20);
    return options;
  }
};

std::string page_body(const std::vector<std::string>& ids) {
  std::string body = R"({"_rid":"coll==","Documents":[)";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) body += ',';
    body += R"({"id":")" + ids[i] + R"(","objecttype":"Person","_ts":)" + std::to_string(100 + i) + "}";
  }
  return body + R"(],"_count":)" + std::to_string(ids.size()) + "}";
}

cosmos::page_request all_docs() {
  cosmos::page_request r;
  r.database = "idabus";
  r.collection = "Resources";
  r.query.text = "SELECT * FROM c WHERE c._ts >= @since";
  r.query.parameters.push_back({"@since", "0"});
  r.partition_key_path = "/objecttype";
  r.max_item_count = 2;
  return r;
}

std::vector<cosmos::pk_component> pk_of(std::string value) {
  std::vector<cosmos::pk_component> key;
  key.emplace_back(std::move(value));
  return key;
}

std::string decoded_path(std::string_view target) {
  return *http::percent_decode(target.substr(0, target.find('?')));
}

}  // namespace

TEST(CosmosClient, SignsEveryRequestWithTheHeadersCosmosNeeds) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::ok(R"({"id":"acc"})"), reply::ok(page_body({"a"}))});
    const std::string account = co_await r.client.read_account();
    EXPECT_EQ(account, R"({"id":"acc"})");
    co_await r.client.query(all_docs());
    const auto key = *cosmos::base64_decode(emulator_key);
    for (const auto& req : r.server.requests()) {
      EXPECT_EQ(req.header("x-ms-version"), "2020-07-15");
      EXPECT_EQ(req.header("x-ms-documentdb-query-enablecrosspartition"), "True");
      EXPECT_TRUE(cosmos::parse_http_date(req.header("x-ms-date"))) << req.header("x-ms-date");
      EXPECT_EQ(cosmos::verify_authorization(req.header("authorization"), key, req.method,
                                             cosmos::address_of(decoded_path(req.target)), req.header("x-ms-date")),
                cosmos::auth_check::ok)
          << req.target;
    }
    const auto& q = r.server.requests().at(1);
    EXPECT_EQ(q.method, "POST");
    EXPECT_EQ(q.target, "/dbs/idabus/colls/Resources/docs");
    EXPECT_EQ(q.header("Content-Type"), "application/query+json");
    EXPECT_EQ(q.header("x-ms-documentdb-isquery"), "True");
    EXPECT_EQ(q.header("x-ms-max-item-count"), "2");
    EXPECT_EQ(q.body, R"({"query":"SELECT * FROM c WHERE c._ts >= @since","parameters":[{"name":"@since","value":0}]})");
  });
}

TEST(CosmosClient, EscapesNamesInThePathButSignsThemUnescaped) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::with_status(404, R"({"code":"NotFound","message":"missing"})")});
    auto doc = co_await r.client.read_document("my db", "Res", "a b#1", pk_of("P\xc3\xa9rson"));
    EXPECT_FALSE(doc);
    const auto& req = r.server.requests().at(0);
    EXPECT_EQ(req.target, "/dbs/my%20db/colls/Res/docs/a%20b%231");
    EXPECT_EQ(req.header("x-ms-documentdb-partitionkey"), R"(["P\u00e9rson"])");
    const auto key = *cosmos::base64_decode(emulator_key);
    EXPECT_EQ(cosmos::verify_authorization(req.header("authorization"), key, "GET",
                                           {"docs", "dbs/my db/colls/Res/docs/a b#1"}, req.header("x-ms-date")),
              cosmos::auth_check::ok);
  });
}

TEST(CosmosClient, PagesToTheEndEchoingContinuationsByteForByte) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string token1 = R"({"token":"+RID:gAAB#RT:1#TRC:2","range":{"min":"","max":"FF"}})";
    const std::string token2 = "opaque token/with spaces+and=equals";
    rig r(ctx, std::vector<reply>{reply::ok(page_body({"a", "b"})).header("x-ms-continuation", token1),
                                  reply::ok(page_body({})).header("x-ms-continuation", token2),
                                  reply::ok(page_body({"c"})).header("x-ms-request-charge", "2.5")});
    std::vector<std::string> ids;
    auto request = all_docs();
    int pages = 0;
    for (;;) {
      auto page = co_await r.client.query(request);
      ++pages;
      for (const auto& d : page.documents) ids.push_back(*d.fields.id);
      if (!page.continuation) {
        EXPECT_DOUBLE_EQ(page.request_charge, 2.5);
        break;
      }
      request.continuation = page.continuation;
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));
    const auto& reqs = r.server.requests();
    EXPECT_FALSE(http::has_header(reqs.at(0).headers, "x-ms-continuation"));
    EXPECT_EQ(reqs.at(1).header("x-ms-continuation"), token1);
    EXPECT_EQ(reqs.at(2).header("x-ms-continuation"), token2);
  });
}

TEST(CosmosClient, QueryPageKeepsRawDocumentsAndTheirFields) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string doc = R"({"id":"x\u00e9","objecttype":"Group","n":1.10,"_ts":1700000001})";
    rig r(ctx, std::vector<reply>{reply::ok(R"({"_rid":"r","Documents":[)" + doc + R"(],"_count":1})")});
    auto page = co_await r.client.query(all_docs());
    CO_ASSERT_EQ(page.documents.size(), 1u);
    EXPECT_EQ(page.documents[0].raw, doc);
    EXPECT_EQ(page.documents[0].fields.id, "x\xc3\xa9");
    EXPECT_EQ(page.documents[0].fields.ts, 1700000001);
    EXPECT_EQ(*page.documents[0].fields.partition_key, idabus::io::json::scalar(std::string("Group")));
  });
}

TEST(CosmosClient, QueryParsesThePageBodyWhereTheHttpClientLeftIt) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    std::vector<std::string> ids;
    for (int i = 0; i < 2000; ++i) ids.push_back("doc-" + std::to_string(i));
    rig r(ctx, std::vector<reply>{reply::ok(page_body(ids))});
    const auto copied_before = cosmos::query_body_bytes_copied_on_this_thread();
    auto page = co_await r.client.query(all_docs());
    EXPECT_EQ(page.documents.size(), ids.size());
    EXPECT_EQ(cosmos::query_body_bytes_copied_on_this_thread(), copied_before) << "the body was copied before parsing";
  });
}

TEST(CosmosClient, QueryPagesRecycleTheHttpClientsBodyBuffers) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    constexpr int pages = 30;
    constexpr std::size_t held = 2;  // pages the consumer holds at once
    std::vector<std::string> ids;
    for (int i = 0; i < 500; ++i) ids.push_back("doc-" + std::to_string(i));
    std::vector<reply> script;
    for (int i = 0; i < pages; ++i) script.push_back(reply::ok(page_body(ids)).header("x-ms-continuation", "more"));
    http::client_options http_options;
    http_options.max_connections = 2;
    rig r(ctx, std::move(script), {}, http_options);
    const auto copied_before = cosmos::query_body_bytes_copied_on_this_thread();
    std::vector<cosmos::query_page> window;
    for (int i = 0; i < pages; ++i) {
      auto page = co_await r.client.query(all_docs());
      EXPECT_EQ(page.documents.size(), ids.size());
      window.push_back(std::move(page));
      if (window.size() > held) window.erase(window.begin());
    }
    window.clear();
    const auto stats = r.http.bodies().stats();
    EXPECT_EQ(stats.taken, static_cast<std::uint64_t>(pages)) << "every page body comes from the pool";
    EXPECT_LE(stats.allocated, held + 1) << "every other page reused a buffer a dropped page returned";
    EXPECT_EQ(cosmos::query_body_bytes_copied_on_this_thread(), copied_before) << "pooled bodies are parsed in place";
  });
}

TEST(CosmosClient, APageDroppedOnAnotherThreadReturnsItsBodyBuffer) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::ok(page_body({"a", "b"}))});
    auto page = co_await r.client.query(all_docs());
    EXPECT_EQ(r.http.bodies().idle(), 0u);
    std::thread([p = std::move(page)]() mutable { p = cosmos::query_page{}; }).join();
    EXPECT_EQ(r.http.bodies().idle(), 1u);
  });
}

TEST(CosmosClient, AFailedQueryNamesTheServersMessage) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::with_status(400, R"({"code":"BadRequest","message":"Syntax error near 'FORM'"})")});
    std::string what;
    try {
      co_await r.client.query(all_docs());
    } catch (const cosmos::cosmos_error& e) {
      what = e.what();
    }
    EXPECT_NE(what.find("Syntax error near 'FORM'"), std::string::npos) << what;
  });
}

TEST(CosmosClient, ResumesAfterThrottleWithRetryAfter) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx,
          std::vector<reply>{reply::with_status(429, R"({"code":"TooManyRequests","message":"Request rate is large"})")
                                 .header("x-ms-retry-after-ms", "40")
                                 .header("x-ms-substatus", "3200")
                                 .header("x-ms-request-charge", "0"),
                             reply::ok(page_body({"a"})).header("x-ms-request-charge", "3")});
    const auto start = std::chrono::steady_clock::now();
    auto page = co_await r.client.query(all_docs());
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));  // no gate: its own wait
    EXPECT_EQ(page.documents.size(), 1u);
    EXPECT_EQ(r.server.requests().size(), 2u);
  });
}

// A throttle is waited out once, by the gate holding the next acquire; the client does not also
// sleep. The gates here stand for one whose pause has passed (they never wait), and the server
// asks for 5 minutes: a client that slept as well would not finish before run_coro's 20 s deadline.
TEST(CosmosClient, AThrottleIsWaitedOutInTheGatesNextAcquireOnly) {
  recording_gate gate;
  idabus::test::run_coro([&gate](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.gate = &gate;
    rig r(ctx,
          std::vector<reply>{reply::with_status(429, R"({"code":"TooManyRequests","message":"Request rate is large"})")
                                 .header("x-ms-retry-after-ms", "300000")
                                 .header("x-ms-substatus", "3200")
                                 .header("x-ms-request-charge", "0"),
                             reply::ok(page_body({"a"})).header("x-ms-request-charge", "3")},
          options);
    auto page = co_await r.client.query(all_docs());
    EXPECT_EQ(page.documents.size(), 1u);
    EXPECT_EQ(r.server.requests().size(), 2u);
  });
  EXPECT_EQ(gate.acquired, 2);  // the retry went through the gate, which held it for the 5 minutes
  EXPECT_EQ(gate.settled, 2);
  EXPECT_DOUBLE_EQ(gate.charged, 3);
  ASSERT_EQ(gate.throttles.size(), 1u);
  EXPECT_EQ(gate.throttles[0], std::chrono::minutes(5));
  EXPECT_EQ(gate.throttled_keys, std::vector<std::string>{"dbs/idabus/colls/Resources#"});  // cross-partition: no range
}

TEST(CosmosClient, KeepsRetryingThrottlesBeyondAnyAttemptCountUntilNoProgressForTooLong) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.retry.max_transient_attempts = 3;
    options.retry.throttle_give_up_after = std::chrono::milliseconds(300);
    rig r(ctx, [](const idabus::test::recorded_request&) {
      return reply::with_status(429, R"({"message":"Request rate is large"})").header("x-ms-retry-after-ms", "10");
    }, options);
    bool threw = false;
    try {
      co_await r.client.read_account();
    } catch (const cosmos::cosmos_error& e) {
      threw = true;
      EXPECT_EQ(e.status(), 429u);
    }
    EXPECT_TRUE(threw);
    EXPECT_GT(r.server.requests().size(), 10u);  // far more than max_transient_attempts
    EXPECT_FALSE(r.log.empty());
  });
}

TEST(CosmosClient, RetriesServiceUnavailableThenSucceeds) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::with_status(503), reply::with_status(449), reply::with_status(408),
                                  reply::ok(R"({"id":"acc"})")});
    auto body = co_await r.client.read_account();
    EXPECT_EQ(body, R"({"id":"acc"})");
    EXPECT_EQ(r.server.requests().size(), 4u);
    EXPECT_EQ(r.log.size(), 3u);
  });
}

TEST(CosmosClient, StopsA503StormAfterTheAttemptBound) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.retry.max_transient_attempts = 4;
    rig r(ctx, [](const idabus::test::recorded_request&) {
      return reply::with_status(503, R"({"code":"ServiceUnavailable","message":"busy"})").header("x-ms-activity-id", "act-503");
    }, options);
    bool threw = false;
    try {
      co_await r.client.read_account();
    } catch (const cosmos::cosmos_error& e) {
      threw = true;
      EXPECT_EQ(e.status(), 503u);
      EXPECT_NE(std::string(e.what()).find("act-503"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(threw);
    EXPECT_EQ(r.server.requests().size(), 4u);
  });
}

TEST(CosmosClient, RetriesAQueryWhoseResponseWasResetMidBody) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::reset_mid_body_of(page_body({"a", "b", "c", "d"})),
                                  reply::ok(page_body({"a", "b"}))});
    auto page = co_await r.client.query(all_docs());
    EXPECT_EQ(page.documents.size(), 2u);
    EXPECT_EQ(r.server.requests().size(), 2u);
    CO_ASSERT_EQ(r.log.size(), 1u);
    EXPECT_NE(r.log[0].find("retrying"), std::string::npos) << r.log[0];
  });
}

TEST(CosmosClient, RetriesAfterATimeout) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    http::client_options http_options;
    http_options.request_timeout = std::chrono::milliseconds(150);
    rig r(ctx, std::vector<reply>{reply::ok(page_body({"slow"})).after(std::chrono::milliseconds(1000)),
                                  reply::ok(page_body({"fast"}))},
          {}, http_options);
    auto page = co_await r.client.query(all_docs());
    CO_ASSERT_EQ(page.documents.size(), 1u);
    EXPECT_EQ(page.documents[0].fields.id, "fast");
  });
}

namespace {

// Holds every acquire until the wall clock has entered a later second than the one it started
// in, the smallest wait that changes an x-ms-date.
struct slow_gate : cosmos::request_gate {
  std::vector<std::chrono::system_clock::time_point> released;
  net::awaitable<void> acquire(cosmos::gate_key, double) override {
    using std::chrono::floor;
    using std::chrono::seconds;
    const auto started = floor<seconds>(std::chrono::system_clock::now());
    net::steady_timer tick(co_await net::this_coro::executor);
    while (floor<seconds>(std::chrono::system_clock::now()) <= started) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(net::use_awaitable);
    }
    released.push_back(std::chrono::system_clock::now());
  }
  void settle(cosmos::gate_key, double, double) override {}
  void throttled(cosmos::gate_key, std::chrono::milliseconds) override {}
};

template <class Awaitable>
net::awaitable<std::optional<http::transport_error_kind>> transport_failure_of(Awaitable operation) {
  try {
    co_await std::move(operation);
  } catch (const http::transport_error& e) {
    co_return e.kind();
  }
  co_return std::nullopt;
}

std::vector<cosmos::bulk_operation> bulk_of(cosmos::bulk_operation_type type, int count) {
  std::vector<cosmos::bulk_operation> ops;
  for (int i = 0; i < count; ++i) {
    cosmos::bulk_operation op;
    op.type = type;
    op.id = "k" + std::to_string(i);
    op.partition_key = pk_of(op.id);
    op.body = R"({"id":")" + op.id + "\"}";
    ops.push_back(std::move(op));
  }
  return ops;
}

const char* one_range_body = R"({"PartitionKeyRanges":[{"id":"0","minInclusive":"","maxExclusive":"FF"}]})";

}  // namespace

TEST(CosmosClient, SignsTheRequestAfterWaitingForTheBudgetSoTheDateIsFresh) {
  slow_gate gate;
  idabus::test::run_coro([&gate](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.gate = &gate;
    rig r(ctx, std::vector<reply>{reply::ok(R"({"id":"acc"})")}, options);
    co_await r.client.read_account();
    CO_ASSERT_EQ(gate.released.size(), 1u);
    CO_ASSERT_EQ(r.server.requests().size(), 1u);
    const auto& req = r.server.requests()[0];
    const auto date = cosmos::parse_http_date(req.header("x-ms-date"));
    CO_ASSERT_TRUE(date.has_value());
    EXPECT_GE(*date, std::chrono::floor<std::chrono::seconds>(gate.released[0])) << req.header("x-ms-date");
    const auto key = *cosmos::base64_decode(emulator_key);
    EXPECT_EQ(cosmos::verify_authorization(req.header("authorization"), key, req.method,
                                           cosmos::address_of(decoded_path(req.target)), req.header("x-ms-date")),
              cosmos::auth_check::ok);
  });
}

TEST(CosmosClient, SurfacesAConnectionClosedAfterAnIfMatchReplaceWasSentInsteadOfResendingIt) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::close_without_response(), reply::ok(R"({"id":"d"})")});
    const auto failure = co_await transport_failure_of(
        r.client.replace_document("idabus", "Resources", "d", R"({"id":"d"})", pk_of("Person"), "\"etag-1\""));
    EXPECT_EQ(failure, http::transport_error_kind::connection_reset);
    EXPECT_EQ(r.server.requests().size(), 1u);
  });
}

TEST(CosmosClient, SurfacesATimedOutIfMatchReplaceInsteadOfResendingIt) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    http::client_options http_options;
    http_options.request_timeout = std::chrono::milliseconds(150);
    rig r(ctx, std::vector<reply>{reply::ok(R"({"id":"d"})").after(std::chrono::milliseconds(1000)),
                                  reply::ok(R"({"id":"d"})")},
          {}, http_options);
    const auto failure = co_await transport_failure_of(
        r.client.replace_document("idabus", "Resources", "d", R"({"id":"d"})", pk_of("Person"), "\"etag-1\""));
    EXPECT_EQ(failure, http::transport_error_kind::timeout);
    EXPECT_EQ(r.server.requests().size(), 1u);
  });
}

TEST(CosmosClient, ResendsUpsertsDeletesAndPlainReplacesWhoseConnectionClosedAfterSending) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::close_without_response(), reply::with_status(201, R"({"id":"d"})"),
                                  reply::close_without_response(), reply::ok(R"({"id":"d"})"),
                                  reply::close_without_response(), reply::with_status(204)});
    auto upserted = co_await r.client.upsert_document("idabus", "Resources", R"({"id":"d"})", pk_of("Person"));
    EXPECT_EQ(upserted.status, 201u);
    auto replaced = co_await r.client.replace_document("idabus", "Resources", "d", R"({"id":"d"})", pk_of("Person"));
    EXPECT_EQ(replaced.status, 200u);
    EXPECT_TRUE(co_await r.client.delete_document("idabus", "Resources", "d", pk_of("Person")));
    EXPECT_EQ(r.server.requests().size(), 6u);
  });
}

TEST(CosmosClientBulk, SurfacesAResetOfABatchWithCreatesInsteadOfResendingIt) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::ok(one_range_body), reply::reset_mid_body_of(R"([{"statusCode":201}])"),
                                  reply::ok(R"([{"statusCode":201}])")});
    const auto failure =
        co_await transport_failure_of(r.client.bulk("idabus", "Events", bulk_of(cosmos::bulk_operation_type::create, 1)));
    EXPECT_EQ(failure, http::transport_error_kind::connection_reset);
    EXPECT_EQ(r.server.requests().size(), 2u);  // the ranges and the one batch
  });
}

TEST(CosmosClientBulk, ResendsABatchOfUpsertsWhoseResponseWasReset) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::ok(one_range_body), reply::reset_mid_body_of(R"([{"statusCode":201}])"),
                                  reply::ok(R"([{"statusCode":201}])")});
    auto results = co_await r.client.bulk("idabus", "Events", bulk_of(cosmos::bulk_operation_type::upsert, 1));
    CO_ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, 201u);
    EXPECT_EQ(r.server.requests().size(), 3u);
  });
}

TEST(CosmosClient, ReportsAnOversizedResponseWithoutRetrying) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    http::client_options http_options;
    http_options.max_response_bytes = 1024;
    rig r(ctx, std::vector<reply>{reply::ok(page_body(std::vector<std::string>(200, "doc")))}, {}, http_options);
    bool threw = false;
    try {
      co_await r.client.query(all_docs());
    } catch (const http::transport_error& e) {
      threw = true;
      EXPECT_EQ(e.kind(), http::transport_error_kind::response_too_large);
    }
    EXPECT_TRUE(threw);
    EXPECT_EQ(r.server.requests().size(), 1u);
  });
}

TEST(CosmosClient, UnauthorizedIsAClearErrorThatNeverShowsTheKey) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{
                   reply::with_status(401, R"({"code":"Unauthorized","message":"The input authorization token can't serve the request."})")
                       .header("x-ms-activity-id", "8f1c-activity")});
    std::string what;
    try {
      co_await r.client.upsert_document("idabus", "Resources", R"({"id":"p1","objecttype":"Person"})",
                                        pk_of("Person"));
    } catch (const cosmos::cosmos_error& e) {
      what = e.what();
      EXPECT_EQ(e.status(), 401u);
      EXPECT_EQ(e.details().resource_link, "dbs/idabus/colls/Resources");
    }
    EXPECT_NE(what.find("upsert document on dbs/idabus/colls/Resources failed: HTTP 401 Unauthorized"), std::string::npos) << what;
    EXPECT_NE(what.find("can't serve the request"), std::string::npos) << what;
    EXPECT_NE(what.find("8f1c-activity"), std::string::npos) << what;
    EXPECT_EQ(r.server.requests().size(), 1u);  // never retried
    const std::string signature_part = std::string(r.server.requests()[0].header("authorization")).substr(30);
    for (const std::string& text : std::vector<std::string>{what}) {
      EXPECT_EQ(text.find(emulator_key.substr(0, 16)), std::string::npos);
      EXPECT_EQ(text.find(signature_part), std::string::npos);
      EXPECT_EQ(text.find("sig"), std::string::npos);
    }
  });
}

TEST(CosmosClient, NoSecretReachesTheLogWhileRetrying) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::with_status(429).header("x-ms-retry-after-ms", "1"), reply::with_status(503),
                                  reply::reset_mid_body_of(R"({"id":"account-with-a-long-body"})"), reply::ok("{}")});
    co_await r.client.read_account();
    EXPECT_EQ(r.log.size(), 2u);  // the 503 and the reset (429s are paced, not logged one by one)
    for (const auto& line : r.log) {
      EXPECT_EQ(line.find(emulator_key.substr(0, 16)), std::string::npos) << line;
      EXPECT_EQ(line.find("sig"), std::string::npos) << line;
      EXPECT_EQ(line.find("type%3D"), std::string::npos) << line;
    }
  });
}

TEST(CosmosClient, NeverRetriesClientErrors) {
  for (unsigned status : {400u, 403u, 409u, 412u, 413u, 500u}) {
    idabus::test::run_coro([status](net::io_context& ctx) -> net::awaitable<void> {
      rig r(ctx, std::vector<reply>{reply::with_status(status, R"({"message":"no"})")});
      bool threw = false;
      try {
        co_await r.client.query(all_docs());
      } catch (const cosmos::cosmos_error& e) {
        threw = true;
        EXPECT_EQ(e.status(), status);
      }
      EXPECT_TRUE(threw) << status;
      EXPECT_EQ(r.server.requests().size(), 1u) << status;
    });
  }
}

TEST(CosmosClient, PointReadMissingIsAValueAndReplaceWithStaleEtagThrows412) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{
                   reply::ok(R"({"id":"p1","objecttype":"Person","_etag":"e1"})").header("etag", "e1").header("x-ms-request-charge", "1"),
                   reply::with_status(404, R"({"code":"NotFound"})"),
                   reply::with_status(412, R"({"code":"PreconditionFailed","message":"etag mismatch"})"),
                   reply::with_status(204), reply::with_status(404)});
    auto found = co_await r.client.read_document("idabus", "Resources", "p1", pk_of("Person"));
    CO_ASSERT_TRUE(found);
    EXPECT_EQ(found->etag, "e1");
    auto missing = co_await r.client.read_document("idabus", "Resources", "nope", pk_of("Person"));
    EXPECT_FALSE(missing);
    int status = 0;
    try {
      co_await r.client.replace_document("idabus", "Resources", "p1", R"({"id":"p1","objecttype":"Person"})",
                                         pk_of("Person"), "stale");
    } catch (const cosmos::cosmos_error& e) {
      status = static_cast<int>(e.status());
    }
    EXPECT_EQ(status, 412);
    EXPECT_EQ(r.server.requests().at(2).header("If-Match"), "stale");
    EXPECT_EQ(r.server.requests().at(2).method, "PUT");
    EXPECT_TRUE(co_await r.client.delete_document("idabus", "Resources", "p1", pk_of("Person")));
    EXPECT_FALSE(co_await r.client.delete_document("idabus", "Resources", "p1", pk_of("Person")));
    for (const auto& req : r.server.requests()) EXPECT_EQ(req.header("x-ms-documentdb-partitionkey"), R"(["Person"])");
  });
}

TEST(CosmosClient, CreatesDatabaseAndCollectionOnlyWhenMissing) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::with_status(201, "{}"), reply::with_status(409, R"({"message":"conflict"})"),
                                  reply::with_status(201, "{}"), reply::with_status(409, "{}")});
    EXPECT_TRUE(co_await r.client.create_database_if_missing("idabus", 400));
    EXPECT_FALSE(co_await r.client.create_database_if_missing("idabus"));
    EXPECT_TRUE(co_await r.client.create_collection_if_missing("idabus", "Resources", "/objecttype", 1000));
    EXPECT_FALSE(co_await r.client.create_collection_if_missing("idabus", "Events", "id"));
    const auto& reqs = r.server.requests();
    EXPECT_EQ(reqs[0].body, R"({"id":"idabus"})");
    EXPECT_EQ(reqs[0].header("x-ms-offer-throughput"), "400");
    EXPECT_FALSE(http::has_header(reqs[1].headers, "x-ms-offer-throughput"));
    EXPECT_EQ(reqs[2].target, "/dbs/idabus/colls");
    EXPECT_EQ(reqs[2].body, R"({"id":"Resources","partitionKey":{"paths":["/objecttype"],"kind":"Hash","version":2}})");
    EXPECT_EQ(reqs[2].header("x-ms-offer-throughput"), "1000");
    EXPECT_NE(reqs[3].body.find(R"("paths":["/id"])"), std::string::npos);
  });
}

TEST(CosmosClient, ReadsPartitionKeyRangesWithNumericOrStringIds) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::ok(
                   R"({"_rid":"x","PartitionKeyRanges":[{"id":"2","minInclusive":"80","maxExclusive":"FF","parents":["0"]},)"
                   R"({"id":1,"minInclusive":"","maxExclusive":"80","parents":[0]}],"_count":2})")});
    auto ranges = co_await r.client.read_partition_key_ranges("idabus", "Resources");
    CO_ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[0].id, "1");
    EXPECT_EQ(ranges[0].min_inclusive, "");
    EXPECT_EQ(ranges[0].parents, (std::vector<std::string>{"0"}));
    EXPECT_EQ(ranges[1].id, "2");
    EXPECT_EQ(ranges[1].max_exclusive, "FF");
    EXPECT_EQ(r.server.requests()[0].target, "/dbs/idabus/colls/Resources/pkranges");
  });
}

TEST(ParsePartitionKeyRanges, RejectsBodiesWithoutRanges) {
  EXPECT_THROW(cosmos::parse_partition_key_ranges(R"({"x":1})"), idabus::io::json::parse_error);
  EXPECT_THROW(cosmos::parse_partition_key_ranges(R"({"PartitionKeyRanges":[{"id":true}]})"), idabus::io::json::parse_error);
  EXPECT_THROW(cosmos::parse_partition_key_ranges("nope"), idabus::io::json::parse_error);
}

TEST(QueryBody, QuotesTheQueryAndKeepsParameterValuesAsJson) {
  cosmos::query_spec spec{"SELECT * FROM c WHERE c.name = \"x\"", {{"@t", "\"Person\""}, {"@n", "5"}}};
  EXPECT_EQ(cosmos::query_body(spec),
            R"({"query":"SELECT * FROM c WHERE c.name = \"x\"","parameters":[{"name":"@t","value":"Person"},{"name":"@n","value":5}]})");
}

namespace {

const char* two_ranges_body =
    R"({"PartitionKeyRanges":[{"id":"0","minInclusive":"","maxExclusive":"20"},{"id":"1","minInclusive":"20","maxExclusive":"FF"}]})";

std::vector<std::string> pk_values_in(const std::string& body) {
  // Each operation carries "partitionKey":"[\"k12\"]" (the header JSON as a JSON string).
  const std::string open = R"("partitionKey":"[\")";
  const std::string close = R"(\"]")";
  std::vector<std::string> out;
  for (std::size_t pos = body.find(open); pos != std::string::npos; pos = body.find(open, pos)) {
    pos += open.size();
    const std::size_t end = body.find(close, pos);
    if (end == std::string::npos) break;
    out.push_back(body.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

}  // namespace

TEST(CosmosClientBulk, GroupsByRangeCapsBatchesAndResendsPerOperationThrottles) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    int batches = 0;
    rig r(ctx, [&batches](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
      EXPECT_EQ(req.header("x-ms-cosmos-is-batch-request"), "True");
      const auto keys = pk_values_in(req.body);
      std::string body = "[";
      bool partial = false;
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) body += ',';
        if (batches == 0 && i == 0) {
          body += R"({"statusCode":429,"subStatusCode":3200,"retryAfterMilliseconds":15})";
          partial = true;
        } else {
          body += R"({"statusCode":201,"requestCharge":5.5,"eTag":"e-)" + keys[i] + "\"}";
        }
      }
      ++batches;
      return reply::with_status(partial ? 207 : 200, body + "]");
    });
    std::vector<cosmos::bulk_operation> ops;
    for (int i = 0; i < 250; ++i) {
      cosmos::bulk_operation op;
      op.type = cosmos::bulk_operation_type::upsert;
      op.id = "k" + std::to_string(i);
      op.partition_key = {op.id};
      op.body = R"({"id":")" + op.id + R"(","v":")" + std::string(static_cast<std::size_t>(i * 10), 'x') + "\"}";
      ops.push_back(std::move(op));
    }
    auto results = co_await r.client.bulk("idabus", "Events", ops);
    CO_ASSERT_EQ(results.size(), ops.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].status, 201u) << i;
      EXPECT_EQ(results[i].etag, "e-k" + std::to_string(i));
    }
    const auto ranges = cosmos::parse_partition_key_ranges(two_ranges_body);
    std::multiset<std::string> sent;
    for (const auto& req : r.server.requests()) {
      if (req.target.ends_with("/pkranges")) continue;
      EXPECT_LE(req.body.size(), 220201u);
      const auto keys = pk_values_in(req.body);
      EXPECT_LE(keys.size(), 100u);
      const std::string range_id(req.header("x-ms-documentdb-partitionkeyrangeid"));
      for (const auto& k : keys) {
        const std::vector<cosmos::pk_component> key{k};
        EXPECT_EQ(cosmos::range_for_epk(ranges, cosmos::effective_partition_key_v2(key))->id, range_id) << k;
        sent.insert(k);
      }
    }
    EXPECT_EQ(sent.size(), 251u);  // every operation once, plus the throttled one again
    std::size_t pkrange_reads = 0;
    for (const auto& req : r.server.requests()) pkrange_reads += req.target.ends_with("/pkranges");
    EXPECT_EQ(pkrange_reads, 1u);  // cached
  });
}

TEST(CosmosClient, ReadsAndReplacesTheCollectionsOffer) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string coll = R"({"id":"Resources","_rid":"q2hGAJ2eSgA=","_self":"dbs/q2hGAA==/colls/q2hGAJ2eSgA=/"})";
    const std::string offers =
        R"({"Offers":[{"id":"other","_rid":"X1","offerResourceId":"zzz","content":{"offerThroughput":9}},)"
        R"({"id":"Of1","_rid":"Of1","offerResourceId":"q2hGAJ2eSgA=","resource":"dbs/q2hGAA==/colls/q2hGAJ2eSgA=/",)"
        R"("content":{"offerThroughput":400}}]})";
    rig r(ctx, std::vector<reply>{reply::ok(coll), reply::ok(offers), reply::ok(coll), reply::ok(offers), reply::ok("{}")});
    auto throughput = co_await r.client.read_throughput("idabus", "Resources");
    EXPECT_EQ(throughput, 400);
    co_await r.client.replace_throughput("idabus", "Resources", 10000);
    const auto& put = r.server.requests().at(4);
    EXPECT_EQ(put.method, "PUT");
    EXPECT_EQ(put.target, "/offers/Of1");
    EXPECT_NE(put.body.find(R"("content":{"offerThroughput":10000})"), std::string::npos) << put.body;
    EXPECT_NE(put.body.find(R"("offerResourceId":"q2hGAJ2eSgA=")"), std::string::npos) << put.body;
    const auto key = *cosmos::base64_decode(emulator_key);
    // Offers are signed with the lowercased rid.
    EXPECT_EQ(cosmos::verify_authorization(put.header("authorization"), key, "PUT", {"offers", "of1"}, put.header("x-ms-date")),
              cosmos::auth_check::ok);
  });
}

TEST(CosmosClient, ReportsNoThroughputWhenTheServerHasNoOffers) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, std::vector<reply>{reply::ok(R"({"_rid":"abc"})"), reply::with_status(400, R"({"message":"no route"})")});
    auto throughput = co_await r.client.read_throughput("idabus", "Resources");
    EXPECT_FALSE(throughput.has_value());
  });
}

TEST(CosmosClient, CancellationEndsAThrottleWaitPromptly) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(idabus::test::run_coro(
                   [](net::io_context& ctx) -> net::awaitable<void> {
                     rig r(ctx, [](const idabus::test::recorded_request&) {
                       return reply::with_status(429).header("x-ms-retry-after-ms", "60000");
                     });
                     co_await r.client.read_account();
                   },
                   std::chrono::milliseconds(300)),
               std::runtime_error);
  // run_coro gives a coroutine that ignores cancellation 2 s of grace; this one must stop at once.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(CosmosClientBulk, GivesUpOnOperationsThrottledWithoutProgress) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.retry.throttle_give_up_after = std::chrono::milliseconds(200);
    rig r(ctx, [](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
      std::string body = "[";
      for (std::size_t i = 0; i < pk_values_in(req.body).size(); ++i) {
        body += std::string(i ? "," : "") + R"({"statusCode":429,"retryAfterMilliseconds":20})";
      }
      return reply::with_status(207, body + "]");
    }, options);
    std::vector<cosmos::bulk_operation> ops(1);
    ops[0].id = "k1";
    ops[0].partition_key = pk_of("k1");
    ops[0].body = R"({"id":"k1"})";
    unsigned status = 0;
    try {
      co_await r.client.bulk("idabus", "Events", ops);
    } catch (const cosmos::cosmos_error& e) {
      status = e.status();
    }
    EXPECT_EQ(status, 429u);
    EXPECT_GT(r.server.requests().size(), 3u);
  });
}

TEST(HttpOptionsFor, TurnsVerificationOffOnlyWhenTheConnectionStringSaysSo) {
  const auto plain = cosmos::parse_connection_string("AccountEndpoint=https://acc.documents.azure.com:443/;AccountKey=" + emulator_key);
  EXPECT_TRUE(cosmos::http_options_for(plain).verify_peer);
  const auto local = cosmos::parse_connection_string("AccountEndpoint=https://127.0.0.1:8081/;AccountKey=" + emulator_key +
                                                     ";DisableServerCertificateValidation=True");
  EXPECT_FALSE(cosmos::http_options_for(local).verify_peer);
  const auto endpoint = cosmos::endpoint_of(plain);
  EXPECT_EQ(endpoint.scheme, http::url_scheme::https);
  EXPECT_EQ(endpoint.host, "acc.documents.azure.com");
  EXPECT_EQ(endpoint.port, 443);
  EXPECT_EQ(cosmos::endpoint_of(local).port, 8081);
}

TEST(CosmosClientBulk, ChargesEachBatchToItsRangeAndReportsThrottlesToTheRangeThatAnswered) {
  recording_gate gate;
  idabus::test::run_coro([&gate](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.gate = &gate;
    bool throttled_once = false;
    rig r(ctx, [&throttled_once](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
      const auto keys = pk_values_in(req.body);
      // Range "1" throttles its first operation once; range "0" never throttles.
      const bool throttle = !throttled_once && req.header("x-ms-documentdb-partitionkeyrangeid") == "1";
      std::string body = "[";
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) body += ',';
        body += throttle && i == 0 ? R"({"statusCode":429,"retryAfterMilliseconds":15})"
                                   : R"({"statusCode":201,"requestCharge":5})";
      }
      throttled_once = throttled_once || throttle;
      return reply::with_status(throttle ? 207 : 200, body + "]");
    }, options);
    std::vector<cosmos::bulk_operation> ops;
    for (int i = 0; i < 20; ++i) {
      cosmos::bulk_operation op;
      op.id = "k" + std::to_string(i);
      op.partition_key = {op.id};
      op.body = R"({"id":")" + op.id + "\"}";
      ops.push_back(std::move(op));
    }
    auto results = co_await r.client.bulk("idabus", "Events", ops);
    CO_ASSERT_EQ(results.size(), ops.size());
  });
  ASSERT_EQ(gate.range_reports.size(), 1u);
  EXPECT_EQ(gate.range_reports[0].first, "dbs/idabus/colls/Events");
  EXPECT_EQ(gate.range_reports[0].second, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(gate.acquired_keys.front(), "dbs/idabus/colls/Events#");  // /pkranges: no single range
  const std::multiset<std::string> batches(gate.acquired_keys.begin() + 1, gate.acquired_keys.end());
  EXPECT_EQ(batches, (std::multiset<std::string>{"dbs/idabus/colls/Events#0", "dbs/idabus/colls/Events#1",
                                                 "dbs/idabus/colls/Events#1"}));
  EXPECT_EQ(gate.settled_keys, gate.acquired_keys);
  EXPECT_EQ(gate.throttled_keys, std::vector<std::string>{"dbs/idabus/colls/Events#1"});
  EXPECT_EQ(gate.throttles, std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(15)});
}

TEST(CosmosClient, SettlesAtTheEstimateWhenTheResponseHasNoChargeHeader) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    recording_gate gate;
    cosmos::client_options options;
    options.gate = &gate;
    rig r(ctx, std::vector<reply>{reply::with_status(201, R"({"id":"a"})")}, options);
    co_await r.client.upsert_document("idabus", "Events", R"({"id":"a"})", pk_of("a"));
    const double estimate =
        r.client.costs().estimate("dbs/idabus/colls/Events", cosmos::operation_kind::point_write, 10);
    EXPECT_GT(estimate, 0);
    EXPECT_EQ(gate.settled, 1);
    EXPECT_DOUBLE_EQ(gate.charged, estimate);
  });
}

TEST(CosmosClient, LearnsItsEstimatesFromTheChargesItIsTold) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const idabus::test::recorded_request&) {
      return reply::with_status(201, R"({"id":"a"})").header("x-ms-request-charge", "20");
    });
    const std::string link = "dbs/idabus/colls/Events";
    const double before = r.client.costs().estimate(link, cosmos::operation_kind::point_write, 1024);
    for (int i = 0; i < 50; ++i) co_await r.client.upsert_document("idabus", "Events", R"({"id":"a"})", pk_of("a"));
    const double after = r.client.costs().estimate(link, cosmos::operation_kind::point_write, 1024);
    EXPECT_LT(before, 6);
    EXPECT_GT(after, 15);
  });
}

namespace {

// Answers every bulk request with 201 per operation, except the first answer to operation 0,
// which gets `first` (a per-operation status the client must retry).
scripted_server::handler first_operation_answered(std::string first, int& bulk_requests) {
  return [first, &bulk_requests](const idabus::test::recorded_request& req) {
    if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
    const auto keys = pk_values_in(req.body);
    std::string body = "[";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i) body += ',';
      body += bulk_requests == 0 && i == 0 ? first : R"({"statusCode":201,"requestCharge":5})";
    }
    ++bulk_requests;
    return reply::with_status(207, body + "]");
  };
}

std::vector<cosmos::bulk_operation> upserts(int n) {
  std::vector<cosmos::bulk_operation> ops;
  for (int i = 0; i < n; ++i) {
    cosmos::bulk_operation op;
    op.id = "k" + std::to_string(i);
    op.partition_key = pk_of(op.id);
    op.body = R"({"id":")" + op.id + "\"}";
    ops.push_back(std::move(op));
  }
  return ops;
}

class CosmosClientBulkRetries : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST_P(CosmosClientBulkRetries, ResendsTheOperationUntilItIsFinalInsteadOfReportingIt) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    int bulk_requests = 0;
    rig r(ctx, first_operation_answered(GetParam(), bulk_requests));
    auto results = co_await r.client.bulk("idabus", "Events", upserts(1));
    CO_ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, 201u);
    EXPECT_EQ(bulk_requests, 2);
  });
}

INSTANTIATE_TEST_SUITE_P(
    PerOperationStatus, CosmosClientBulkRetries,
    ::testing::Values(R"({"statusCode":429,"subStatusCode":3200,"retryAfterMilliseconds":5})",
                      R"({"statusCode":449,"retryAfterMilliseconds":5})", R"({"statusCode":503})",
                      R"({"statusCode":408})", R"({"statusCode":410,"subStatusCode":0})"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      return "Status" + std::string(info.param).substr(14, 3);
    });

TEST(CosmosClientBulk, CountsEveryThrottledOperationAndTheRequestsOfARange) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    int bulk_requests = 0;
    rig r(ctx, [&bulk_requests](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
      const auto keys = pk_values_in(req.body);
      std::string body = "[";
      for (std::size_t i = 0; i < keys.size(); ++i) {
        body += std::string(i ? "," : "") +
                (bulk_requests == 0 && i < 3 ? R"({"statusCode":429,"retryAfterMilliseconds":5})"
                                             : R"({"statusCode":201,"requestCharge":5})");
      }
      ++bulk_requests;
      return reply::with_status(207, body + "]").header("x-ms-request-charge", std::to_string(5 * keys.size()));
    });
    // The keys that two_ranges_body puts on range "1".
    const auto ranges = cosmos::parse_partition_key_ranges(two_ranges_body);
    std::vector<cosmos::bulk_operation> ops;
    for (auto& op : upserts(40)) {
      if (cosmos::range_for_epk(ranges, cosmos::effective_partition_key_v2(op.partition_key))->id == "1") {
        ops.push_back(std::move(op));
      }
    }
    CO_ASSERT_TRUE(ops.size() >= 4u);
    const std::size_t n = ops.size();
    auto outcome = co_await r.client.bulk_range("idabus", "Events", "1", std::move(ops));
    EXPECT_EQ(outcome.results.size(), n);
    for (const auto& result : outcome.results) EXPECT_EQ(result.status, 201u);
    EXPECT_EQ(outcome.throttled_operations, 3u);
    EXPECT_EQ(outcome.retried_operations, 3u);
    EXPECT_EQ(outcome.requests, 2u);
    EXPECT_DOUBLE_EQ(outcome.request_charge, 5.0 * static_cast<double>(n + 3));
  });
}

TEST(CosmosClientBulk, ReroutesAnOperationWhoseRangeMovedAfterReReadingTheRanges) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    // Range "0" ["", "20") splits into "2" ["", "10") and "3" ["10", "20").
    const std::string split_body =
        R"({"PartitionKeyRanges":[{"id":"2","minInclusive":"","maxExclusive":"10","parents":["0"]},)"
        R"({"id":"3","minInclusive":"10","maxExclusive":"20","parents":["0"]},)"
        R"({"id":"1","minInclusive":"20","maxExclusive":"FF"}]})";
    int pkrange_reads = 0;
    rig r(ctx, [&](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(pkrange_reads++ == 0 ? two_ranges_body : split_body);
      const auto keys = pk_values_in(req.body);
      const bool stale = req.header("x-ms-documentdb-partitionkeyrangeid") == "0";
      std::string body = "[";
      for (std::size_t i = 0; i < keys.size(); ++i) {
        body += std::string(i ? "," : "") +
                (stale ? R"({"statusCode":410,"subStatusCode":1002})" : R"({"statusCode":201,"requestCharge":5})");
      }
      return reply::with_status(207, body + "]");
    });
    const auto ranges = cosmos::parse_partition_key_ranges(two_ranges_body);
    auto ops = upserts(20);
    std::size_t on_zero = 0;
    for (const auto& op : ops) {
      on_zero += cosmos::range_for_epk(ranges, cosmos::effective_partition_key_v2(op.partition_key))->id == "0";
    }
    CO_ASSERT_TRUE(on_zero > 0u);
    auto results = co_await r.client.bulk("idabus", "Events", std::move(ops));
    for (const auto& result : results) EXPECT_EQ(result.status, 201u);
    EXPECT_EQ(pkrange_reads, 2);
    std::set<std::string> children;
    for (const auto& req : r.server.requests()) {
      const std::string id(req.header("x-ms-documentdb-partitionkeyrangeid"));
      if (id == "2" || id == "3") children.insert(id);
    }
    EXPECT_FALSE(children.empty());
  });
}

TEST(CosmosClientBulk, CountsEveryOperationOfARequestThrottledAsAWhole) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    int bulk_requests = 0;
    rig r(ctx, [&bulk_requests](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
      if (bulk_requests++ == 0) return reply::with_status(429).header("x-ms-retry-after-ms", "5");
      std::vector<std::string> per_op(pk_values_in(req.body).size(), R"({"statusCode":201,"requestCharge":5})");
      std::string body = "[";
      for (std::size_t i = 0; i < per_op.size(); ++i) body += (i ? "," : "") + per_op[i];
      return reply::ok(body + "]");
    });
    std::vector<cosmos::bulk_operation> ops;
    for (auto& op : upserts(40)) {
      if (cosmos::range_for_epk(cosmos::parse_partition_key_ranges(two_ranges_body),
                                cosmos::effective_partition_key_v2(op.partition_key))->id == "0") {
        ops.push_back(std::move(op));
      }
    }
    const std::size_t n = ops.size();
    auto outcome = co_await r.client.bulk_range("idabus", "Events", "0", std::move(ops));
    for (const auto& result : outcome.results) EXPECT_EQ(result.status, 201u);
    EXPECT_EQ(outcome.throttled_operations, n);
    EXPECT_EQ(outcome.requests, 2u);
  });
}

TEST(CosmosClientBulk, OperationsWithoutARequestChargeTeachTheCostModelNothing) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(one_range_body);
      std::string body = "[";
      for (std::size_t i = 0; i < pk_values_in(req.body).size(); ++i) body += std::string(i ? "," : "") + R"({"statusCode":201})";
      return reply::with_status(207, body + "]");
    });
    const std::string link = "dbs/idabus/colls/Events";
    const double before = r.client.costs().estimate(link, cosmos::operation_kind::bulk_write, 1024);
    for (int round = 0; round < 5; ++round) {
      auto outcome = co_await r.client.bulk_range("idabus", "Events", "0", upserts(40));
      for (const auto& result : outcome.results) EXPECT_EQ(result.status, 201u);
    }
    // Learning a charge of 0 for each of the 200 operations would pull the estimate towards 0.
    EXPECT_DOUBLE_EQ(r.client.costs().estimate(link, cosmos::operation_kind::bulk_write, 1024), before);
  });
}

TEST(CosmosClientBulk, AThrottledOperationIsWaitedOutInTheGatesNextAcquireOnly) {
  recording_gate gate;
  idabus::test::run_coro([&gate](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.gate = &gate;
    int batches = 0;
    rig r(ctx, [&batches](const idabus::test::recorded_request& req) {
      if (req.target.ends_with("/pkranges")) return reply::ok(two_ranges_body);
      const bool first = batches++ == 0;
      return reply::with_status(207, first ? R"([{"statusCode":429,"retryAfterMilliseconds":300000}])"
                                           : R"([{"statusCode":201,"requestCharge":5}])");
    }, options);
    std::vector<cosmos::bulk_operation> ops(1);
    ops[0].id = "k1";
    ops[0].partition_key = pk_of("k1");
    ops[0].body = R"({"id":"k1"})";
    auto results = co_await r.client.bulk("idabus", "Events", ops);
    CO_ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, 201u);
  });
  EXPECT_EQ(gate.acquired, 3);  // /pkranges, the batch, its re-send
  EXPECT_EQ(gate.throttles, std::vector<std::chrono::milliseconds>{std::chrono::minutes(5)});
}

// ---- upsert_each: point mode's requests ----

namespace {

/// The id of a point request's body ({"id":"k<n>"}).
std::string id_in(const std::string& body) { return body.substr(7, body.size() - 9); }

}  // namespace

TEST(CosmosClientPoint, UpsertEachSendsEveryDocumentAsItsOwnUpsertAllAtOnceChargedToTheRange) {
  recording_gate gate;
  idabus::test::run_coro([&gate](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.gate = &gate;
    rig r(ctx, [](const idabus::test::recorded_request&) {
      return reply::with_status(201, "{}").header("x-ms-request-charge", "6.5").after(std::chrono::milliseconds(10));
    }, options);
    auto outcome = co_await r.client.upsert_each("idabus", "Events", "1", upserts(8));
    CO_ASSERT_EQ(outcome.results.size(), 8u);
    for (const auto& result : outcome.results) EXPECT_EQ(result.status, 201u);
    EXPECT_EQ(outcome.requests, 8u);
    EXPECT_EQ(outcome.throttled_operations, 0u);
    EXPECT_DOUBLE_EQ(outcome.request_charge, 52.0);
    std::set<std::size_t> connections;
    std::set<std::string> ids;
    for (const auto& req : r.server.requests()) {
      EXPECT_EQ(req.method, "POST");
      EXPECT_EQ(req.target, "/dbs/idabus/colls/Events/docs");
      EXPECT_EQ(req.header("x-ms-documentdb-is-upsert"), "True");
      EXPECT_EQ(req.header("x-ms-documentdb-partitionkey"), "[\"" + id_in(req.body) + "\"]");
      EXPECT_EQ(req.header("x-ms-documentdb-partitionkeyrangeid"), "");
      connections.insert(req.connection);
      ids.insert(id_in(req.body));
    }
    EXPECT_EQ(ids.size(), 8u);
    EXPECT_GT(connections.size(), 1u) << "one request at a time";
    // The charges train the point-write line, not the bulk one.
    const auto point = r.client.costs().fitted("dbs/idabus/colls/Events", cosmos::operation_kind::point_write);
    const auto bulk = r.client.costs().fitted("dbs/idabus/colls/Events", cosmos::operation_kind::bulk_write);
    EXPECT_GT(point.at(1), bulk.at(1));
  });
  EXPECT_EQ(gate.acquired_keys, std::vector<std::string>(8, "dbs/idabus/colls/Events#1"));
  EXPECT_EQ(gate.settled_keys, gate.acquired_keys);
}

TEST(CosmosClientPoint, UpsertEachHandsBackADocumentsOwnRefusalAndRetriesThrottlesAndFaults) {
  recording_gate gate;
  idabus::test::run_coro([&gate](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.gate = &gate;
    std::map<std::string, int> attempts;
    rig r(ctx, [&attempts](const idabus::test::recorded_request& req) {
      const std::string id = id_in(req.body);
      const int attempt = attempts[id]++;
      if (id == "k1" && attempt == 0) {
        return reply::with_status(429, R"({"code":"TooManyRequests"})").header("x-ms-retry-after-ms", "15");
      }
      if (id == "k2" && attempt == 0) return reply::with_status(503, R"({"code":"ServiceUnavailable"})");
      if (id == "k3") return reply::with_status(400, R"({"code":"BadRequest","message":"id is not allowed"})");
      if (id == "k4") return reply::with_status(409, R"({"code":"Conflict","message":"unique key taken"})");
      if (id == "k5") return reply::with_status(413, R"({"code":"RequestEntityTooLarge","message":"too large"})");
      return reply::with_status(200, "{}").header("x-ms-request-charge", "5");
    }, options);
    auto outcome = co_await r.client.upsert_each("idabus", "Events", "0", upserts(6));
    CO_ASSERT_EQ(outcome.results.size(), 6u);
    const std::vector<unsigned> statuses{outcome.results[0].status, outcome.results[1].status, outcome.results[2].status,
                                         outcome.results[3].status, outcome.results[4].status, outcome.results[5].status};
    EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200, 200, 400, 409, 413}));
    EXPECT_EQ(outcome.results[3].message, "id is not allowed");
    EXPECT_EQ(outcome.results[4].message, "unique key taken");
    EXPECT_EQ(outcome.throttled_operations, 1u);
    EXPECT_EQ(outcome.retried_operations, 2u);
    EXPECT_EQ(outcome.requests, 8u);
  });
  EXPECT_EQ(gate.throttled_keys, std::vector<std::string>{"dbs/idabus/colls/Events#0"});
  EXPECT_EQ(gate.throttles, std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(15)});
}

TEST(CosmosClientPoint, UpsertEachThrowsAFailureOfTheTargetAndTakesUpsertsOnly) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const idabus::test::recorded_request& req) {
      if (id_in(req.body) == "k2") return reply::with_status(403, R"({"code":"Forbidden","message":"quota exceeded"})");
      return reply::with_status(201, "{}").after(std::chrono::milliseconds(5));
    });
    unsigned status = 0;
    try {
      co_await r.client.upsert_each("idabus", "Events", "0", upserts(4));
    } catch (const cosmos::cosmos_error& e) {
      status = e.status();
    }
    EXPECT_EQ(status, 403u);
    auto ops = upserts(2);
    ops[1].type = cosmos::bulk_operation_type::create;
    bool refused = false;
    try {
      co_await r.client.upsert_each("idabus", "Events", "0", std::move(ops));
    } catch (const std::invalid_argument&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
  });
}
