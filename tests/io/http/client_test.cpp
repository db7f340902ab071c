#include "io/http/client.hpp"

#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <optional>

namespace idabus::io::http {
namespace {

using namespace std::chrono_literals;
using scripted_reply = test::reply;
using test::run_coro;
using test::scripted_server;

endpoint endpoint_of(const scripted_server& server) { return parse_url(server.url()).endpoint(); }

http::request get(std::string target) {
  http::request req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

http::request post(std::string target, std::string body) {
  http::request req;
  req.method = "POST";
  req.target = std::move(target);
  req.body = std::move(body);
  return req;
}

/// The transport_error a request throws, or nullopt when it succeeds.
net::awaitable<std::optional<transport_error>> request_error(client& c, http::request req) {
  std::optional<transport_error> error;
  try {
    co_await c.request(std::move(req));
  } catch (const transport_error& e) {
    error = e;
  }
  co_return error;
}

/// `error` is a connection_reset that says the response broke off in its middle.
void expect_reset_mid_response(const std::optional<transport_error>& error) {
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), transport_error_kind::connection_reset) << error->what();
  EXPECT_NE(std::string(error->what()).find("middle of the response"), std::string::npos) << error->what();
}

/// Runs `op` on the current executor, emits cancellation after `after`, and returns what it threw.
net::awaitable<std::exception_ptr> cancel_after(net::awaitable<response> op, std::chrono::milliseconds after) {
  auto ex = co_await net::this_coro::executor;
  net::cancellation_signal signal;
  bool done = false;
  std::exception_ptr error;
  auto on_done = [&done, &error](std::exception_ptr e, const response&) {
    done = true;
    error = e;
  };
  net::co_spawn(ex, std::move(op), net::bind_cancellation_slot(signal.slot(), on_done));
  co_await test::pause(after);
  signal.emit(net::cancellation_type::all);
  while (!done) co_await test::pause(5ms);
  co_return error;
}

net::awaitable<std::string> body_of(client& c, std::string target) {
  response res = co_await c.request(get(std::move(target)));
  co_return res.body;
}

/// Sends n GET requests at once and returns their bodies in request order.
net::awaitable<std::vector<std::string>> fetch_concurrently(client& c, int n) {
  auto ex = co_await net::this_coro::executor;
  using op_type = decltype(net::co_spawn(ex, body_of(c, "/"), net::deferred));
  std::vector<op_type> ops;
  for (int i = 0; i < n; ++i) ops.push_back(net::co_spawn(ex, body_of(c, "/" + std::to_string(i)), net::deferred));
  auto done = co_await net::experimental::make_parallel_group(std::move(ops))
                  .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  auto& [order, errors, bodies] = done;
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  co_return bodies;
}

TEST(HttpClient, ReadsAContentLengthResponseAndSetsHostAndUserAgent) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("hello").header("x-ms-request-charge", "2.5")});
    client c(ctx.get_executor(), endpoint_of(server));
    http::request req = get("/dbs/idabus");
    req.headers.emplace_back("x-ms-version", "2018-12-31");
    const response res = co_await c.request(std::move(req));
    EXPECT_EQ(res.status, 200u);
    EXPECT_EQ(res.body, "hello");
    EXPECT_EQ(res.header("X-MS-Request-Charge"), "2.5");
    EXPECT_EQ(server.requests().size(), 1u);
    const auto& seen = server.requests().at(0);
    EXPECT_EQ(seen.method, "GET");
    EXPECT_EQ(seen.target, "/dbs/idabus");
    EXPECT_EQ(seen.header("host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen.header("user-agent"), client_options{}.user_agent);
    EXPECT_EQ(seen.header("x-ms-version"), "2018-12-31");
  });
}

TEST(HttpClient, SetsContentLengthAndReplacesACallerGivenOne) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::with_status(201, "{}")});
    client c(ctx.get_executor(), endpoint_of(server));
    http::request req = post("/dbs/d/colls/c/docs", R"({"id":"1"})");
    req.headers.emplace_back("Content-Length", "999");
    const response res = co_await c.request(std::move(req));
    EXPECT_EQ(res.status, 201u);
    const auto& seen = server.requests().at(0);
    EXPECT_EQ(seen.header("content-length"), "10");
    EXPECT_EQ(seen.body, R"({"id":"1"})");
  });
}

TEST(HttpClient, ErrorStatusesAreResponsesNotExceptions) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::with_status(429, "busy").header("x-ms-retry-after-ms", "12")});
    client c(ctx.get_executor(), endpoint_of(server));
    const response res = co_await c.request(get("/"));
    EXPECT_EQ(res.status, 429u);
    EXPECT_EQ(res.header("x-ms-retry-after-ms"), "12");
    EXPECT_EQ(res.body, "busy");
  });
}

TEST(HttpClient, ReassemblesAChunkedResponse) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += static_cast<char>('a' + i % 26);
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(big).as_chunked(777), scripted_reply::ok("after")});
    client c(ctx.get_executor(), endpoint_of(server));
    const response res = co_await c.request(get("/chunked"));
    EXPECT_EQ(res.body, big);
    const response next = co_await c.request(get("/next"));
    EXPECT_EQ(next.body, "after");
    EXPECT_EQ(server.connections_accepted(), 1u) << "a chunked response keeps the connection reusable";
  });
}

TEST(HttpClient, ReadsALargeBodyManyKilobytesAtATime) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    std::string big;
    for (int i = 0; i < (4 << 20); ++i) big += static_cast<char>('a' + i % 26);
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(big)});
    client c(ctx.get_executor(), endpoint_of(server));
    const response res = co_await c.request(get("/page"));
    EXPECT_EQ(res.body, big);
    // 4 MiB read 512 bytes at a time (Beast's read size when the buffer has no spare room) is
    // 8,192 reads; at most 1,024 means at least 4 KiB per read on average.
    EXPECT_GE(c.stats().response_reads, 1u);
    EXPECT_LE(c.stats().response_reads, 1024u);
  });
}

TEST(HttpClient, EveryBodyLeavesSpareCapacityPastItsEnd) {
  // response_body_slack: what lets the Cosmos client parse a page body in place.
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string sized(300000, 's');
    const std::string chunked(20000, 'c');
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(sized), scripted_reply::ok(chunked).as_chunked(777), scripted_reply::ok("")});
    client c(ctx.get_executor(), endpoint_of(server));
    for (const auto& [target, expected] : {std::pair{"/sized", &sized}, {"/chunked", &chunked}}) {
      const response res = co_await c.request(get(target));
      EXPECT_TRUE(res.body == *expected) << target;
      EXPECT_GE(res.body.capacity(), res.body.size() + response_body_slack) << target;
    }
    const response empty = co_await c.request(get("/empty"));
    EXPECT_EQ(empty.body, "");
    EXPECT_GE(empty.body.capacity(), response_body_slack);
  });
}

TEST(HttpClient, HeadResponseHasNoBodyDespiteContentLength) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok().header("Content-Length", "100"), scripted_reply::ok("x")});
    client c(ctx.get_executor(), endpoint_of(server));
    http::request req = get("/");
    req.method = "HEAD";
    const response res = co_await c.request(std::move(req));
    EXPECT_EQ(res.header("content-length"), "100");
    EXPECT_EQ(res.body, "");
    const response next = co_await c.request(get("/"));
    EXPECT_EQ(next.body, "x");
  });
}

TEST(HttpClient, SequentialRequestsReuseOneKeepAliveConnection) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("1"), scripted_reply::ok("2"), scripted_reply::ok("3")});
    client c(ctx.get_executor(), endpoint_of(server));
    for (const char* expected : {"1", "2", "3"}) {
      const response res = co_await c.request(get("/"));
      EXPECT_EQ(res.body, expected);
    }
    EXPECT_EQ(server.connections_accepted(), 1u);
    EXPECT_EQ(c.stats().connections_opened, 1u);
    EXPECT_EQ(c.stats().connections_reused, 2u);
    EXPECT_EQ(c.idle_connections(), 1u);
  });
}

TEST(HttpClient, ConcurrentRequestsNeverOpenMoreThanMaxConnections) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), [](const test::recorded_request& req) {
      return scripted_reply::ok("body" + req.target).after(30ms);
    });
    client_options options;
    options.max_connections = 2;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const std::vector<std::string> bodies = co_await fetch_concurrently(c, 5);
    EXPECT_EQ(bodies, (std::vector<std::string>{"body/0", "body/1", "body/2", "body/3", "body/4"}));
    EXPECT_EQ(server.requests().size(), 5u);
    EXPECT_EQ(server.max_open_connections(), 2u);
    EXPECT_EQ(server.connections_accepted(), 2u);
    EXPECT_LE(c.open_connections(), 2u);
  });
}

TEST(HttpClient, ConnectionClosedByTheServerIsReplaced) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("first").then_close(), scripted_reply::ok("second")});
    client c(ctx.get_executor(), endpoint_of(server));
    const response first = co_await c.request(get("/"));
    EXPECT_EQ(first.body, "first");
    co_await test::pause(20ms);  // let the server's FIN arrive: the pool must notice it before reuse
    const response second = co_await c.request(get("/"));
    EXPECT_EQ(second.body, "second");
    EXPECT_EQ(server.connections_accepted(), 2u);
    EXPECT_EQ(c.stats().retries, 0u) << "a closed idle connection is detected, not tried";
    EXPECT_EQ(c.stats().connections_discarded, 1u);
  });
}

TEST(HttpClient, IdleConnectionOlderThanIdleTimeoutIsNotReused) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("a"), scripted_reply::ok("b")});
    client_options options;
    options.idle_timeout = 10ms;
    client c(ctx.get_executor(), endpoint_of(server), options);
    co_await c.request(get("/"));
    co_await test::pause(30ms);
    const response res = co_await c.request(get("/"));
    EXPECT_EQ(res.body, "b");
    EXPECT_EQ(server.connections_accepted(), 2u);
    EXPECT_EQ(c.stats().connections_reused, 0u);
  });
}

TEST(HttpClient, CallerGivenHostAndUserAgentAreKept) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok()});
    client c(ctx.get_executor(), endpoint_of(server));
    http::request req = get("/");
    req.headers = {{"Host", "acct.documents.azure.com"}, {"User-Agent", "custom/1"}};
    co_await c.request(std::move(req));
    const auto& seen = server.requests().at(0);
    EXPECT_EQ(seen.header("host"), "acct.documents.azure.com");
    EXPECT_EQ(seen.header("user-agent"), "custom/1");
    EXPECT_EQ(seen.headers.size(), 2u) << "no duplicate Host or User-Agent";
  });
}

TEST(HttpClient, OversizedHeadersAreResponseTooLarge) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok().header("x-ms-session-token", std::string(4000, 's'))});
    client_options options;
    options.max_response_bytes = 1000;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const auto error = co_await request_error(c, get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::response_too_large) << error->what();
    }
  });
}

TEST(HttpClient, WaitersAreServedAsConnectionsReturn) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), [](const test::recorded_request& req) { return scripted_reply::ok(req.target); });
    client_options options;
    options.max_connections = 1;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const std::vector<std::string> bodies = co_await fetch_concurrently(c, 20);
    EXPECT_EQ(bodies.size(), 20u);
    EXPECT_EQ(bodies.back(), "/19");
    EXPECT_EQ(server.connections_accepted(), 1u);
    EXPECT_EQ(c.stats().requests, 20u);
  });
}

/// GETs `first`, then at once `then` (the second request starts the moment the first returns its
/// connection), appending each body to `bodies`.
net::awaitable<void> fetch_two_in_a_row(client& c, std::string first, std::string then,
                                        std::vector<std::string>& bodies) {
  bodies.push_back(co_await body_of(c, std::move(first)));
  bodies.push_back(co_await body_of(c, std::move(then)));
}

TEST(HttpClient, WaitersAreServedFirstComeFirstServedBeforeALaterRequest) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), [](const test::recorded_request& req) { return scripted_reply::ok(req.target); });
    client_options options;
    options.max_connections = 1;
    client c(ctx.get_executor(), endpoint_of(server), options);
    std::vector<std::string> bodies;
    int finished = 0;
    auto count = [&finished](std::exception_ptr e) {
      EXPECT_FALSE(e);
      ++finished;
    };
    // "/a" takes the only connection; "/b" and "/c" queue behind it; "/late" asks for the
    // connection in the very step "/a" returns it, before the woken "/b" runs.
    net::co_spawn(ctx, fetch_two_in_a_row(c, "/a", "/late", bodies), count);
    net::co_spawn(ctx, body_of(c, "/b"), [&](std::exception_ptr e, std::string body) {
      bodies.push_back(std::move(body));
      count(e);
    });
    net::co_spawn(ctx, body_of(c, "/c"), [&](std::exception_ptr e, std::string body) {
      bodies.push_back(std::move(body));
      count(e);
    });
    while (finished < 3) co_await test::pause(5ms);
    std::vector<std::string> served;
    for (const auto& req : server.requests()) served.push_back(req.target);
    EXPECT_EQ(served, (std::vector<std::string>{"/a", "/b", "/c", "/late"}));
    EXPECT_EQ(bodies, served);
    EXPECT_EQ(server.connections_accepted(), 1u);
  });
}

TEST(HttpClient, ConnectionCloseHeaderKeepsTheConnectionOutOfThePool) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("a").header("Connection", "close"), scripted_reply::ok("b")});
    client c(ctx.get_executor(), endpoint_of(server));
    co_await c.request(get("/"));
    EXPECT_EQ(c.idle_connections(), 0u);
    EXPECT_EQ(c.open_connections(), 0u);
    const response res = co_await c.request(get("/"));
    EXPECT_EQ(res.body, "b");
    EXPECT_EQ(server.connections_accepted(), 2u);
  });
}

TEST(HttpClient, StaleConnectionIsRetriedOnceForAnIdempotentRequest) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(),
                           {scripted_reply::ok("first"), scripted_reply::close_without_response(), scripted_reply::ok("again")});
    client c(ctx.get_executor(), endpoint_of(server));
    co_await c.request(get("/one"));
    const response res = co_await c.request(get("/two"));
    EXPECT_EQ(res.body, "again");
    EXPECT_EQ(c.stats().retries, 1u);
    EXPECT_EQ(server.requests().size(), 3u);
    EXPECT_EQ(server.requests().at(1).target, "/two");
    EXPECT_EQ(server.requests().at(2).target, "/two");
    EXPECT_EQ(server.requests().at(2).connection, 1u);
  });
}

TEST(HttpClient, NonIdempotentRequestIsNotResent) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(), scripted_reply::close_without_response()});
    client c(ctx.get_executor(), endpoint_of(server));
    co_await c.request(get("/"));
    const auto error = co_await request_error(c, post("/docs", "{}"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::connection_reset) << error->what();
    }
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(c.stats().retries, 0u);
  });
}

TEST(HttpClient, PostMarkedIdempotentIsResentOnAStaleConnection) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(), scripted_reply::close_without_response(), scripted_reply::ok("upserted")});
    client c(ctx.get_executor(), endpoint_of(server));
    co_await c.request(get("/"));
    http::request upsert = post("/docs", "{}");
    upsert.idempotent = true;
    const response res = co_await c.request(std::move(upsert));
    EXPECT_EQ(res.body, "upserted");
    EXPECT_EQ(server.requests().size(), 3u);
  });
}

TEST(HttpClient, CloseWithoutResponseOnAFreshConnectionIsConnectionReset) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::close_without_response()});
    client c(ctx.get_executor(), endpoint_of(server));
    const auto error = co_await request_error(c, get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::connection_reset) << error->what();
      EXPECT_NE(std::string(error->what()).find("before the response"), std::string::npos) << error->what();
    }
    EXPECT_EQ(server.requests().size(), 1u) << "no retry on a connection that was never reused";
  });
}

TEST(HttpClient, ResetMidResponseIsConnectionResetAndNotRetried) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(), scripted_reply::reset_mid_body_of(std::string(10000, 'x'))});
    client c(ctx.get_executor(), endpoint_of(server));
    co_await c.request(get("/"));
    const auto error = co_await request_error(c, get("/"));
    expect_reset_mid_response(error);
    EXPECT_EQ(server.requests().size(), 2u) << "bytes of the response had arrived: never resent";
    EXPECT_EQ(c.open_connections(), 0u);
  });
}

TEST(HttpClient, SlowServerIsATimeoutAndTheConnectionIsDiscarded) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("late").after(2s), scripted_reply::ok("next")});
    client_options options;
    options.request_timeout = 100ms;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const auto started = std::chrono::steady_clock::now();
    const auto error = co_await request_error(c, get("/slow"));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::timeout) << error->what();
      EXPECT_NE(std::string(error->what()).find("100 ms"), std::string::npos) << error->what();
    }
    EXPECT_LT(elapsed, 1s);
    EXPECT_EQ(c.open_connections(), 0u);
    const response res = co_await c.request(get("/"));
    EXPECT_EQ(res.body, "next");
    EXPECT_EQ(server.connections_accepted(), 2u);
  });
}

TEST(HttpClient, InvalidResponseIsProtocolError) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("x").header("Content-Length", "abc")});
    client c(ctx.get_executor(), endpoint_of(server));
    const auto error = co_await request_error(c, get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::protocol_error) << error->what();
    }
  });
}

TEST(HttpClient, RefusedConnectIsConnectFailedNamingHostAndPort) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    std::uint16_t port = 0;
    {
      net::ip::tcp::acceptor probe(ctx, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
      port = probe.local_endpoint().port();
    }  // closed again: nothing listens on `port` now
    client c(ctx.get_executor(), endpoint{url_scheme::http, "127.0.0.1", port});
    const auto error = co_await request_error(c, get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::connect_failed) << error->what();
      EXPECT_NE(std::string(error->what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos)
          << error->what();
    }
    EXPECT_EQ(c.open_connections(), 0u);
  });
}

TEST(HttpClient, ConnectThatDoesNotCompleteIsConnectFailedAfterTheConnectTimeout) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    // A listener that never accepts, with a full accept queue: Linux drops further SYNs, so a
    // connect neither succeeds nor fails until the client gives up.
    using tcp = net::ip::tcp;
    tcp::acceptor listener(ctx, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0), false);
    listener.listen(0);
    std::vector<std::unique_ptr<tcp::socket>> fillers;
    for (int i = 0; i < 2; ++i) {
      fillers.push_back(std::make_unique<tcp::socket>(ctx));
      fillers.back()->async_connect(listener.local_endpoint(), [](boost::system::error_code) {});
    }
    co_await test::pause(20ms);
    client_options options;
    options.connect_timeout = 150ms;
    client c(ctx.get_executor(), endpoint{url_scheme::http, "127.0.0.1", listener.local_endpoint().port()}, options);
    const auto started = std::chrono::steady_clock::now();
    const auto error = co_await request_error(c, get("/"));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::connect_failed) << error->what();
      EXPECT_NE(std::string(error->what()).find("timed out after 150 ms"), std::string::npos) << error->what();
    }
    EXPECT_GE(elapsed, 140ms);
    EXPECT_LT(elapsed, 2s);
    for (auto& s : fillers) s->close();
  });
}

TEST(HttpClient, CancellingTheCallerClosesItsConnection) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("late").after(5s), scripted_reply::ok("next")});
    client c(ctx.get_executor(), endpoint_of(server));
    const std::exception_ptr thrown = co_await cancel_after(c.request(get("/slow")), 50ms);
    EXPECT_TRUE(thrown);
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const transport_error& e) {
      EXPECT_EQ(e.kind(), transport_error_kind::cancelled) << e.what();
      EXPECT_EQ(e.code(), net::error::operation_aborted);
    }
    EXPECT_EQ(c.open_connections(), 0u);
    EXPECT_EQ(c.idle_connections(), 0u);
    const response next = co_await c.request(get("/next"));
    EXPECT_EQ(next.body, "next");
    EXPECT_EQ(server.connections_accepted(), 2u) << "the cancelled request's connection is not reused";
    server.stop();
  });
}

TEST(HttpClient, WaitingForAFreeConnectionIsCancellable) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("first").after(200ms), scripted_reply::ok("third")});
    client_options options;
    options.max_connections = 1;
    client c(ctx.get_executor(), endpoint_of(server), options);
    auto ex = ctx.get_executor();
    std::optional<std::string> first;
    net::co_spawn(ex, body_of(c, "/first"), [&first](std::exception_ptr e, std::string body) {
      if (!e) first = std::move(body);
    });
    co_await test::pause(10ms);
    const std::exception_ptr thrown = co_await cancel_after(c.request(get("/second")), 30ms);
    EXPECT_TRUE(thrown);
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const transport_error& e) {
      EXPECT_EQ(e.kind(), transport_error_kind::cancelled) << e.what();
    }
    const response third = co_await c.request(get("/third"));
    EXPECT_EQ(third.body, "third");
    EXPECT_EQ(first, "first");
    EXPECT_EQ(server.requests().size(), 2u) << "the cancelled request was never sent";
    EXPECT_EQ(server.connections_accepted(), 1u);
  });
}

TEST(HttpClient, DestroyingTheClientLetsRunningAndPendingRequestsFinish) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), [](const test::recorded_request& req) {
      return scripted_reply::ok(req.target).after(50ms);
    });
    client_options options;
    options.max_connections = 1;
    auto c = std::make_unique<client>(ctx.get_executor(), endpoint_of(server), options);
    std::vector<std::string> bodies;
    auto keep = [&bodies](std::exception_ptr e, response res) {
      if (!e) bodies.push_back(res.body);
    };
    net::co_spawn(ctx, c->request(get("/running")), keep);
    net::co_spawn(ctx, c->request(get("/pending")), keep);  // not even started yet
    c.reset();
    while (bodies.size() < 2) co_await test::pause(10ms);
    EXPECT_EQ(bodies, (std::vector<std::string>{"/running", "/pending"}));
    EXPECT_EQ(server.connections_accepted(), 1u);
  });
}

TEST(HttpClient, ZeroMaxConnectionsIsRejected) {
  net::io_context ctx;
  client_options options;
  options.max_connections = 0;
  EXPECT_THROW(client(ctx.get_executor(), endpoint{url_scheme::http, "127.0.0.1", 1}, options),
               std::invalid_argument);
}

TEST(HttpClient, RelativeTargetIsRejectedBeforeAnythingIsSent) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    client c(ctx.get_executor(), endpoint{url_scheme::http, "127.0.0.1", 1});
    bool threw = false;
    try {
      co_await c.request(get("dbs"));
    } catch (const std::invalid_argument& e) {
      threw = std::string(e.what()).find("'dbs'") != std::string::npos;
    }
    EXPECT_TRUE(threw);
  });
}

// ---- TLS ----

TEST(HttpClientTls, SelfSignedCertificateFailsVerificationByDefault) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("secret")}, {.tls = true});
    client c(ctx.get_executor(), endpoint_of(server));
    const auto error = co_await request_error(c, get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::tls_failed) << error->what();
      EXPECT_NE(std::string(error->what()).find("certificate verification"), std::string::npos) << error->what();
    }
    EXPECT_TRUE(server.requests().empty());
  });
}

TEST(HttpClientTls, WorksWithVerificationOffAndReusesTheConnection) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("one"), scripted_reply::ok("two").as_chunked(1)}, {.tls = true});
    client_options options;
    options.verify_peer = false;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const response one = co_await c.request(get("/"));
    const response two = co_await c.request(get("/"));
    EXPECT_EQ(one.body, "one");
    EXPECT_EQ(two.body, "two");
    EXPECT_EQ(server.connections_accepted(), 1u);
  });
}

TEST(HttpClientTls, TrustedCertificateVerifiesForIpAndHostName) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("by ip"), scripted_reply::ok("by name")}, {.tls = true});
    client_options options;
    options.extra_ca_pem = server.certificate_pem();
    client by_ip(ctx.get_executor(), endpoint_of(server), options);
    const response a = co_await by_ip.request(get("/"));
    EXPECT_EQ(a.body, "by ip");
    client by_name(ctx.get_executor(), endpoint{url_scheme::https, "localhost", server.port()}, options);
    const auto error = co_await request_error(by_name, get("/"));
    // "localhost" may resolve to ::1 first on some machines, where nothing listens; accept only
    // success or connect_failed, never a TLS failure.
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::connect_failed) << error->what();
    } else {
      EXPECT_EQ(server.requests().back().header("host"), "localhost:" + std::to_string(server.port()));
    }
  });
}

TEST(HttpClientTls, TrustedCertificateForAnotherHostFailsHostNameVerification) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    test::scripted_server_options tls;
    tls.tls = true;
    tls.certificate = test::make_self_signed_certificate("other.example", "DNS:other.example");
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("secret")}, tls);
    client_options options;
    options.extra_ca_pem = tls.certificate.certificate_pem;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const auto error = co_await request_error(c, get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::tls_failed) << error->what();
    }
    EXPECT_TRUE(server.requests().empty());
  });
}

TEST(HttpClientTls, BadExtraCaPemIsRejectedAtConstruction) {
  net::io_context ctx;
  client_options options;
  options.extra_ca_pem = "not a certificate";
  EXPECT_THROW(client(ctx.get_executor(), endpoint{url_scheme::https, "127.0.0.1", 1}, options),
               std::invalid_argument);
}

TEST(HttpClientTls, CancellingDuringAResponseClosesTheTlsConnection) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::ok("late").after(5s)}, {.tls = true});
    client_options options;
    options.verify_peer = false;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const std::exception_ptr thrown = co_await cancel_after(c.request(get("/")), 100ms);
    EXPECT_TRUE(thrown);
    EXPECT_EQ(c.open_connections(), 0u);
    server.stop();
  });
}


// ---- pooled bodies ----

http::request pooled_get(std::string target) {
  http::request req = get(std::move(target));
  req.pooled_body = true;
  return req;
}

std::string letters(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>('a' + i % 26);
  return out;
}

std::string content_length_head(std::size_t length) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

/// Bytes a response is written in, one write each, with a short pause between writes.
using written_pieces = std::vector<std::string>;

/// A plain-TCP server that writes responses exactly as scripted, for the tests of the direct body
/// read: the i-th connection it accepts answers its requests with per_connection[i] in order
/// (reading each request's head first), then closes. Destroying it closes everything.
class piecewise_server {
 public:
  piecewise_server(net::any_io_executor ex, std::vector<std::vector<written_pieces>> per_connection)
      : state_(std::make_shared<state>(ex)) {
    net::co_spawn(ex, serve(state_, std::move(per_connection)), net::detached);
  }
  ~piecewise_server() { state_->stop(); }
  piecewise_server(const piecewise_server&) = delete;
  piecewise_server& operator=(const piecewise_server&) = delete;

  endpoint target() const { return endpoint{url_scheme::http, "127.0.0.1", state_->acceptor.local_endpoint().port()}; }

 private:
  struct state {
    explicit state(net::any_io_executor ex)
        : acceptor(ex, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), socket(ex) {}
    void stop() {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      socket.close(ignored);
    }
    net::ip::tcp::acceptor acceptor;
    net::ip::tcp::socket socket;
  };

  static net::awaitable<void> serve(std::shared_ptr<state> s, std::vector<std::vector<written_pieces>> script) {
    constexpr auto tuple = net::as_tuple(net::use_awaitable);
    for (auto& responses : script) {
      auto accepted = co_await s->acceptor.async_accept(tuple);
      if (std::get<0>(accepted)) co_return;
      s->socket = std::move(std::get<1>(accepted));
      std::string requests;
      for (auto& pieces : responses) {
        auto head = co_await net::async_read_until(s->socket, net::dynamic_buffer(requests), "\r\n\r\n", tuple);
        if (std::get<0>(head)) break;
        requests.erase(0, std::get<1>(head));
        for (std::size_t i = 0; i < pieces.size(); ++i) {
          if (i > 0) co_await test::pause(2ms);
          auto written = co_await net::async_write(s->socket, net::buffer(pieces[i]), tuple);
          if (std::get<0>(written)) co_return;
        }
      }
      boost::system::error_code ignored;
      s->socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
      s->socket.close(ignored);
    }
  }

  std::shared_ptr<state> state_;
};

TEST(HttpClientPooledBody, ContentLengthBodyIsCopiedOutOfTheReadBufferOnlyAsFarAsItCameWithTheHeader) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string big = letters(1 << 20);
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(big), scripted_reply::ok(big)});
    client c(ctx.get_executor(), endpoint_of(server));
    const response pooled = co_await c.request(pooled_get("/page"));
    EXPECT_TRUE(pooled.pooled_body.view() == big);
    EXPECT_TRUE(pooled.body.empty());
    EXPECT_EQ(pooled.body_view().size(), big.size());
    EXPECT_GE(pooled.pooled_body.capacity(), big.size() + response_body_slack);
    // The header's read fills at most the connection's 64 KiB read buffer; the rest is read into the body.
    const auto copied = c.stats().body_bytes_copied;
    EXPECT_LE(copied, 64u * 1024);
    const response plain = co_await c.request(get("/page"));
    EXPECT_TRUE(plain.body == big);
    EXPECT_EQ(c.stats().body_bytes_copied - copied, big.size()) << "into a std::string, every byte is copied";
    EXPECT_EQ(server.connections_accepted(), 1u) << "the connection is reused after a direct read";
  });
}

TEST(HttpClientPooledBody, BodiesRecycleTheirBuffersWhilePagesFarOutnumberThePool) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    constexpr int pages = 40;
    constexpr std::size_t held = 3;  // pages a consumer holds at once
    scripted_server server(ctx.get_executor(), [](const test::recorded_request&) { return scripted_reply::ok(letters(100000)); });
    client_options options;
    options.max_connections = 2;
    client c(ctx.get_executor(), endpoint_of(server), options);
    EXPECT_EQ(c.bodies().max_idle(), 2u) << "the pool keeps one idle buffer per connection";
    std::vector<response> window;
    for (int i = 0; i < pages; ++i) {
      response res = co_await c.request(pooled_get("/page"));
      EXPECT_EQ(res.pooled_body.size(), 100000u);
      window.push_back(std::move(res));
      if (window.size() > held) window.erase(window.begin());  // the oldest page returns its buffer
    }
    window.clear();
    const auto stats = c.bodies().stats();
    EXPECT_EQ(stats.taken, static_cast<std::uint64_t>(pages));
    EXPECT_LE(stats.allocated, held + 1) << "every other page reused a returned buffer";
    EXPECT_LE(c.bodies().idle(), c.bodies().max_idle());
  });
}

TEST(HttpClientPooledBody, BodySplitAcrossManyReadsArrivesWholeAndTheConnectionIsReused) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string body = letters(200000);
    written_pieces first{content_length_head(body.size()) + body.substr(0, 3)};
    for (std::size_t at = 3; at < body.size(); at += 10000) first.push_back(body.substr(at, 10000));
    const std::string second = letters(70000);
    piecewise_server server(ctx.get_executor(), {{first, {content_length_head(second.size()) + second}}});
    client c(ctx.get_executor(), server.target());
    const response one = co_await c.request(pooled_get("/one"));
    EXPECT_TRUE(one.pooled_body.view() == body);
    EXPECT_GE(c.stats().response_reads, 2u);
    const response two = co_await c.request(pooled_get("/two"));
    EXPECT_TRUE(two.pooled_body.view() == second);
    EXPECT_EQ(c.stats().connections_opened, 1u);
    EXPECT_EQ(c.stats().connections_reused, 1u);
  });
}

TEST(HttpClientPooledBody, BytesPastTheBodyStayInTheReadBufferAndTheConnectionIsNotReused) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string wrong = content_length_head(5) + "wrong";
    const std::string right = content_length_head(5) + "right";
    // One write: the body and the bytes after it arrive in the header's read.
    piecewise_server server(ctx.get_executor(),
                            {{{content_length_head(4) + "body" + "unexpected"}, {wrong}}, {{right}}});
    client c(ctx.get_executor(), server.target());
    const response first = co_await c.request(pooled_get("/"));
    EXPECT_EQ(first.pooled_body.view(), "body");
    const response next = co_await c.request(pooled_get("/"));
    EXPECT_EQ(next.pooled_body.view(), "right") << "the bytes past the first body were not taken for the next response";
    EXPECT_EQ(c.stats().connections_opened, 2u);
  });
}

TEST(HttpClientPooledBody, ConnectionClosedMidBodyIsConnectionResetAndNotRetried) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string body = letters(300000);
    // On a reused connection: half the body, then the server closes.
    piecewise_server server(ctx.get_executor(),
                            {{{content_length_head(2) + "ok"}, {content_length_head(body.size()), body.substr(0, 150000)}}});
    client_options options;
    options.request_timeout = 5s;  // a resend would wait for a connection nobody answers
    client c(ctx.get_executor(), server.target(), options);
    co_await c.request(pooled_get("/"));
    const auto error = co_await request_error(c, pooled_get("/"));
    expect_reset_mid_response(error);
    EXPECT_EQ(c.stats().retries, 0u) << "bytes of the response had arrived: never resent";
    EXPECT_EQ(c.open_connections(), 0u);
  });
}

TEST(HttpClientPooledBody, ResetMidBodyIsConnectionReset) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {scripted_reply::reset_mid_body_of(letters(400000))});
    client c(ctx.get_executor(), endpoint_of(server));
    const auto error = co_await request_error(c, pooled_get("/"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::connection_reset) << error->what();
    }
  });
}

/// Two responses over max_response_bytes (a Content-Length body, then a chunked one) are
/// response_too_large and discard their connection; the next response, which fits, comes through.
net::awaitable<void> expect_oversized_responses_refused(net::io_context& ctx, bool pooled) {
  scripted_server server(ctx.get_executor(),
                         {scripted_reply::ok(std::string(5000, 'x')), scripted_reply::ok(std::string(5000, 'y')).as_chunked(512),
                          scripted_reply::ok(std::string(1000, 'z'))});
  client_options options;
  options.max_response_bytes = 1000;
  client c(ctx.get_executor(), endpoint_of(server), options);
  auto request_of = [pooled](std::string target) { return pooled ? pooled_get(std::move(target)) : get(std::move(target)); };
  for (int i = 0; i < 2; ++i) {
    const auto error = co_await request_error(c, request_of("/big"));
    EXPECT_TRUE(error.has_value());
    if (error) {
      EXPECT_EQ(error->kind(), transport_error_kind::response_too_large) << error->what();
      EXPECT_NE(std::string(error->what()).find("1000"), std::string::npos) << error->what();
    }
    EXPECT_EQ(c.open_connections(), 0u) << "the connection is discarded";
  }
  const response res = co_await c.request(request_of("/fits"));
  EXPECT_EQ(res.body_view(), std::string(1000, 'z'));
  EXPECT_EQ(pooled ? res.pooled_body.view().size() : res.body.size(), 1000u);
}

TEST(HttpClient, OversizedResponseIsResponseTooLarge) {
  run_coro([](net::io_context& ctx) { return expect_oversized_responses_refused(ctx, false); });
}

TEST(HttpClientPooledBody, OversizedResponseIsResponseTooLarge) {
  run_coro([](net::io_context& ctx) { return expect_oversized_responses_refused(ctx, true); });
}

TEST(HttpClientPooledBody, ChunkedEmptyAndHeadBodiesComeThroughTheParserIntoPooledBuffers) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string chunked = letters(20000);
    scripted_server server(ctx.get_executor(),
                           {scripted_reply::ok(chunked).as_chunked(777), scripted_reply::ok(""),
                            scripted_reply::ok().header("Content-Length", "100"), scripted_reply::ok("after")});
    client c(ctx.get_executor(), endpoint_of(server));
    const response a = co_await c.request(pooled_get("/chunked"));
    EXPECT_TRUE(a.pooled_body.view() == chunked);
    EXPECT_GE(a.pooled_body.capacity(), a.pooled_body.size() + response_body_slack);
    EXPECT_EQ(c.stats().body_bytes_copied, chunked.size()) << "a chunked body is copied by the parser";
    const response empty = co_await c.request(pooled_get("/empty"));
    EXPECT_TRUE(empty.pooled_body.empty());
    EXPECT_GE(empty.pooled_body.capacity(), response_body_slack);
    http::request head = pooled_get("/head");
    head.method = "HEAD";
    const response h = co_await c.request(std::move(head));
    EXPECT_TRUE(h.pooled_body.empty());
    const response after = co_await c.request(pooled_get("/after"));
    EXPECT_EQ(after.pooled_body.view(), "after");
    EXPECT_EQ(server.connections_accepted(), 1u);
  });
}

TEST(HttpClientPooledBody, BodyOverTlsIsReadDirectly) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    const std::string big = letters(300000);
    scripted_server server(ctx.get_executor(), {scripted_reply::ok(big), scripted_reply::ok("two")}, {.tls = true});
    client_options options;
    options.verify_peer = false;
    client c(ctx.get_executor(), endpoint_of(server), options);
    const response one = co_await c.request(pooled_get("/"));
    EXPECT_TRUE(one.pooled_body.view() == big);
    EXPECT_LT(c.stats().body_bytes_copied, big.size());
    const response two = co_await c.request(pooled_get("/"));
    EXPECT_EQ(two.pooled_body.view(), "two");
    EXPECT_EQ(server.connections_accepted(), 1u);
  });
}

}  // namespace
}  // namespace idabus::io::http
