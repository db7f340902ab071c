// Tests of tests/support/scripted_server with a raw socket, so that the client tests that rely on
// it stand on checked ground.
#include "support/scripted_server.hpp"

#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

namespace idabus::test {
namespace {

using tcp = net::ip::tcp;

/// Sends raw bytes on a new connection and reads until the server closes it.
net::awaitable<std::string> exchange(std::uint16_t port, std::string raw) {
  auto ex = co_await net::this_coro::executor;
  tcp::socket socket(ex);
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  co_await socket.async_connect(ep, net::use_awaitable);
  co_await net::async_write(socket, net::buffer(raw), net::use_awaitable);
  std::string out;
  auto r = co_await net::async_read(socket, net::dynamic_buffer(out), net::as_tuple(net::use_awaitable));
  (void)r;
  co_return out;
}

TEST(ScriptedServer, RecordsTheRequestAndSendsTheScriptedResponse) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {reply::ok("hello").header("x-ms-request-charge", "1.5").then_close()});
    const std::string raw = "PUT /dbs/a%20b HTTP/1.1\r\nHost: x\r\nX-Test: 1\r\nContent-Length: 3\r\n\r\nabc";
    const std::string out = co_await exchange(server.port(), raw);
    EXPECT_NE(out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("x-ms-request-charge: 1.5\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("Content-Length: 5\r\n"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\nhello")) << out;
    EXPECT_EQ(server.requests().size(), 1u);
    const auto& req = server.requests().at(0);
    EXPECT_EQ(req.method, "PUT");
    EXPECT_EQ(req.target, "/dbs/a%20b");
    EXPECT_EQ(req.header("x-test"), "1");
    EXPECT_EQ(req.body, "abc");
    EXPECT_EQ(req.connection, 0u);
  });
}

TEST(ScriptedServer, ChunkedReplyIsFramedInChunksOfTheGivenSize) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {reply::ok("abcdefg").as_chunked(3).then_close()});
    const std::string out = co_await exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n1\r\ng\r\n0\r\n\r\n")) << out;
  });
}

TEST(ScriptedServer, ExhaustedScriptAnswers500NamingTheRequest) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), std::vector<reply>{});
    const std::string out = co_await exchange(server.port(), "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(out.find("HTTP/1.1 500"), std::string::npos) << out;
    EXPECT_NE(out.find("GET /x"), std::string::npos) << out;
  });
}

TEST(ScriptedServer, ResetMidBodySendsOnlyHalfTheBody) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {reply::reset_mid_body_of(std::string(1000, 'x'))});
    const std::string out = co_await exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(out.find("Content-Length: 1000\r\n"), std::string::npos) << out;
    const auto body_start = out.find("\r\n\r\n");
    EXPECT_NE(body_start, std::string::npos);
    if (body_start != std::string::npos) {
      EXPECT_EQ(out.size() - body_start - 4, 500u);
    }
  });
}

TEST(ScriptedServer, CountsConnectionsAndStopClosesThem) {
  run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), {reply::ok().then_close(), reply::ok().then_close()});
    co_await exchange(server.port(), "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await exchange(server.port(), "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(server.connections_accepted(), 2u);
    EXPECT_EQ(server.requests().size(), 2u);
    if (server.requests().size() == 2) {
      EXPECT_EQ(server.requests()[1].connection, 1u);
    }
    server.stop();
    EXPECT_NE(server.port(), 0u);
  });
}

TEST(ScriptedServer, SelfSignedCertificateIsPem) {
  const auto cert = make_self_signed_certificate();
  EXPECT_TRUE(cert.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----")) << cert.certificate_pem;
  EXPECT_NE(cert.private_key_pem.find("PRIVATE KEY-----"), std::string::npos);
}

}  // namespace
}  // namespace idabus::test
