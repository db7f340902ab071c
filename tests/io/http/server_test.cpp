#include "io/http/server.hpp"

#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace idabus::io::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using idabus::test::run_coro;
using namespace std::chrono_literals;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Echoes what it received, so a test can see the request exactly as the handler saw it.
net::awaitable<response> echo(request req) {
  response res;
  res.status = 200;
  res.headers.emplace_back("Content-Type", "text/plain");
  res.headers.emplace_back("X-Method", req.method);
  res.headers.emplace_back("X-Target", req.target);
  res.headers.emplace_back("X-Probe", std::string(req.header("x-probe")));
  res.body = req.body;
  co_return res;
}

struct observed {
  bool ended = false;
};

// Starts srv.run() and flips `o.ended` when it returns.
void start(server& srv, net::io_context& ctx, observed& o) {
  net::co_spawn(ctx, srv.run(), [&o](std::exception_ptr) { o.ended = true; });
}

net::awaitable<bool> wait_until(const bool& flag, std::chrono::milliseconds limit) {
  auto ex = co_await net::this_coro::executor;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!flag && std::chrono::steady_clock::now() < deadline) {
    net::steady_timer t(ex, 5ms);
    co_await t.async_wait(use_tuple);
  }
  co_return flag;
}

net::awaitable<beast::tcp_stream> connect(std::uint16_t port) {
  auto ex = co_await net::this_coro::executor;
  beast::tcp_stream stream(ex);
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  co_await stream.async_connect(endpoint, net::use_awaitable);
  co_return stream;
}

bhttp::request<bhttp::string_body> make_request(std::string method, std::string target, std::string body = {}) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

template <class Stream>
net::awaitable<bhttp::response<bhttp::string_body>> exchange(Stream& stream, bhttp::request<bhttp::string_body>& req) {
  co_await bhttp::async_write(stream, req, net::use_awaitable);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream, buffer, res, net::use_awaitable);
  co_return res;
}

TEST(HttpServer, BindsAnEphemeralPortAndPassesTheRequestToTheHandler) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    server srv(ctx.get_executor(), server_options{}, handler(echo));
    EXPECT_NE(srv.port(), 0);
    EXPECT_EQ(srv.url(), "http://127.0.0.1:" + std::to_string(srv.port()));
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto req = make_request("POST", "/dbs/a%20b/colls?x=1", "{\"id\":\"1\"}");
    req.set("X-Probe", "value 1");
    auto res = co_await exchange(stream, req);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res["X-Method"], "POST");
    EXPECT_EQ(res["X-Target"], "/dbs/a%20b/colls?x=1");
    EXPECT_EQ(res["X-Probe"], "value 1");
    EXPECT_EQ(res.body(), "{\"id\":\"1\"}");
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
  });
}

TEST(HttpServer, KeepsTheConnectionAliveAcrossRequests) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    server srv(ctx.get_executor(), server_options{}, handler(echo));
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    for (int i = 0; i < 3; ++i) {
      auto req = make_request("GET", "/n/" + std::to_string(i));
      auto res = co_await exchange(stream, req);
      EXPECT_EQ(res["X-Target"], "/n/" + std::to_string(i));
      EXPECT_TRUE(res.keep_alive());
    }
    EXPECT_EQ(srv.requests_served(), 3u);
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
  });
}

TEST(HttpServer, AnswersABodyOverTheLimitWith413AndCloses) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    server_options opts;
    opts.body_limit = 1000;
    server srv(ctx.get_executor(), opts, handler(echo));
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto req = make_request("POST", "/big", std::string(5000, 'x'));
    auto res = co_await exchange(stream, req);
    EXPECT_EQ(res.result_int(), 413u);
    EXPECT_NE(res.body().find("RequestEntityTooLarge"), std::string::npos);
    EXPECT_NE(res.body().find("1000"), std::string::npos);
    EXPECT_FALSE(res.keep_alive());
    EXPECT_EQ(srv.requests_served(), 0u);
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
  });
}

TEST(HttpServer, TurnsAHandlerExceptionInto500AndKeepsServing) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    handler h = [](request req) -> net::awaitable<response> {
      if (req.target == "/throw") throw std::runtime_error("boom in handler");
      co_return response{};
    };
    server srv(ctx.get_executor(), server_options{}, h);
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto bad = make_request("GET", "/throw");
    auto res = co_await exchange(stream, bad);
    EXPECT_EQ(res.result_int(), 500u);
    EXPECT_NE(res.body().find("boom in handler"), std::string::npos);
    auto good = make_request("GET", "/fine");
    auto res2 = co_await exchange(stream, good);
    EXPECT_EQ(res2.result_int(), 200u);
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
  });
}

TEST(HttpServer, ResetMidBodyDeliversHeadersAndPartOfTheBodyThenResets) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    reply_handler h = [](request) -> net::awaitable<reply> {
      reply r;
      r.message.body = std::string(100000, 'a');
      r.how = delivery::reset_mid_body;
      co_return r;
    };
    server srv(ctx.get_executor(), server_options{}, h);
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto req = make_request("GET", "/");
    co_await bhttp::async_write(stream, req, net::use_awaitable);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1 << 20);
    auto header = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    EXPECT_FALSE(std::get<0>(header)) << std::get<0>(header).message();
    EXPECT_EQ(parser.get()[bhttp::field::content_length], "100000");
    auto body = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    EXPECT_TRUE(std::get<0>(body)) << "the client must see the response cut short";
    EXPECT_FALSE(parser.is_done());
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
  });
}

TEST(HttpServer, DelayPostponesTheResponse) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    reply_handler h = [](request) -> net::awaitable<reply> {
      reply r;
      r.delay = 150ms;
      co_return r;
    };
    server srv(ctx.get_executor(), server_options{}, h);
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto req = make_request("GET", "/");
    auto t0 = std::chrono::steady_clock::now();
    auto res = co_await exchange(stream, req);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
  });
}

TEST(HttpServer, ShutdownLetsTheRequestInFlightFinishThenEnds) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    bool handler_started = false;
    handler h = [&handler_started](request) -> net::awaitable<response> {
      handler_started = true;
      net::steady_timer t(co_await net::this_coro::executor, 200ms);
      co_await t.async_wait(net::use_awaitable);
      response res;
      res.body = "finished";
      co_return res;
    };
    server srv(ctx.get_executor(), server_options{}, h);
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto idle = co_await connect(srv.port());
    auto req = make_request("GET", "/slow");
    co_await bhttp::async_write(stream, req, net::use_awaitable);
    EXPECT_TRUE(co_await wait_until(handler_started, 2s));
    srv.shutdown();
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(stream, buffer, res, net::use_awaitable);
    EXPECT_EQ(res.body(), "finished");
    EXPECT_FALSE(res.keep_alive()) << "a draining server announces Connection: close";
    EXPECT_TRUE(co_await wait_until(o.ended, 2s));
    // The idle connection was closed by the server.
    char byte = 0;
    auto buf = net::buffer(&byte, 1);
    auto r = co_await idle.async_read_some(buf, use_tuple);
    EXPECT_TRUE(std::get<0>(r));
    // Nothing accepts any more.
    beast::tcp_stream late(ctx.get_executor());
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), srv.port());
    auto c = co_await late.async_connect(endpoint, use_tuple);
    EXPECT_TRUE(std::get<0>(c));
  });
}

TEST(HttpServer, ShutdownClosesAStuckRequestAfterTheGracePeriod) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    handler h = [](request) -> net::awaitable<response> {
      net::steady_timer t(co_await net::this_coro::executor, 1s);
      co_await t.async_wait(use_tuple);
      co_return response{};
    };
    server_options opts;
    opts.shutdown_grace = 100ms;
    server srv(ctx.get_executor(), opts, h);
    observed o;
    start(srv, ctx, o);
    auto stream = co_await connect(srv.port());
    auto req = make_request("GET", "/stuck");
    co_await bhttp::async_write(stream, req, net::use_awaitable);
    net::steady_timer t(ctx, 50ms);
    co_await t.async_wait(net::use_awaitable);
    auto t0 = std::chrono::steady_clock::now();
    srv.shutdown();
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    auto r = co_await bhttp::async_read(stream, buffer, res, use_tuple);
    EXPECT_TRUE(std::get<0>(r)) << "the stuck request's connection is closed";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    // run() still waits for the handler coroutine, which ends when its timer fires.
    EXPECT_TRUE(co_await wait_until(o.ended, 5s));
  }, std::chrono::seconds(10));
}

TEST(HttpServer, BindingAPortInUseThrowsNamingThePort) {
  net::io_context ctx;
  server first(ctx.get_executor(), server_options{}, handler(echo));
  server_options opts;
  opts.port = first.port();
  try {
    server second(ctx.get_executor(), opts, handler(echo));
    FAIL() << "binding a used port must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos) << e.what();
  }
}

TEST(HttpServer, MissingTlsFilesThrowNamingTheFile) {
  net::io_context ctx;
  server_options opts;
  opts.tls = tls_files{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  try {
    server srv(ctx.get_executor(), opts, handler(echo));
    FAIL() << "missing TLS files must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cert.pem"), std::string::npos) << e.what();
  }
}

TEST(HttpServer, ServesHttpsWithACertificateFromPemFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("idabus-server-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto cert = (dir / "cert.pem").string();
  auto key = (dir / "key.pem").string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
                    " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command line tool not available";
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    server_options opts;
    opts.tls = tls_files{cert, key};
    server srv(ctx.get_executor(), opts, handler(echo));
    EXPECT_EQ(srv.url().substr(0, 8), "https://");
    observed o;
    start(srv, ctx, o);
    ssl::context client_ctx(ssl::context::tls_client);
    client_ctx.set_verify_mode(ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> stream(ctx.get_executor(), client_ctx);
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), srv.port());
    co_await beast::get_lowest_layer(stream).async_connect(endpoint, net::use_awaitable);
    co_await stream.async_handshake(ssl::stream_base::client, net::use_awaitable);
    auto req = make_request("PUT", "/secure", "payload");
    auto res = co_await exchange(stream, req);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "payload");
    srv.shutdown();
    EXPECT_TRUE(co_await wait_until(o.ended, 3s));
  });
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace idabus::io::http
