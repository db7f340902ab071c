#include "io/http/any_stream.hpp"

#include "support/raw_http.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

// The TLS side of any_stream is covered through the HTTPS tests of the client and the server
// (HttpClientTls.*, HttpServer.ServesHttpsWithACertificateFromPemFiles).

namespace idabus::io::http {
namespace {

namespace beast = boost::beast;
using tcp = net::ip::tcp;
using idabus::test::run_coro;
using idabus::test::raw_http::use_tuple;

/// A connected loopback pair: `peer` is a plain socket, `stream` the side under test.
struct loopback {
  explicit loopback(net::io_context& ctx) : peer(ctx), stream(ctx) {
    tcp::acceptor acceptor(ctx, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    stream.socket().connect(acceptor.local_endpoint());
    acceptor.accept(peer);
  }
  tcp::socket peer;
  beast::tcp_stream stream;
};

TEST(AnyStream, WriteSendsEveryBufferOfALongSequenceInOrder) {
  // More buffers than one write_some passes on: the composed write must still send them all.
  std::vector<std::string> parts;
  std::string expected;
  for (int i = 0; i < 3 * static_cast<int>(any_stream::max_write_buffers) + 1; ++i) {
    parts.push_back("<part " + std::to_string(i) + ">");
    expected += parts.back();
  }
  auto received = run_coro([&](net::io_context& ctx) -> net::awaitable<std::string> {
    loopback pair(ctx);
    any_stream stream(pair.stream);
    std::vector<net::const_buffer> buffers;
    for (const auto& p : parts) {
      buffers.push_back(net::buffer(p));
      buffers.push_back(net::const_buffer());  // empty buffers are skipped, not sent as gaps
    }
    auto written = co_await net::async_write(stream, buffers, use_tuple);
    EXPECT_FALSE(std::get<0>(written));
    EXPECT_EQ(std::get<1>(written), expected.size());
    std::string got(expected.size(), '\0');
    auto read = co_await net::async_read(pair.peer, net::buffer(got), use_tuple);
    EXPECT_FALSE(std::get<0>(read));
    co_return got;
  });
  EXPECT_EQ(received, expected);
}

TEST(AnyStream, ReadSomeFillsTheFirstNonEmptyBuffer) {
  auto received = run_coro([](net::io_context& ctx) -> net::awaitable<std::string> {
    loopback pair(ctx);
    any_stream stream(pair.stream);
    std::string hello = "hello";
    co_await net::async_write(pair.peer, net::buffer(hello), use_tuple);
    std::array<char, 16> space{};
    std::array<net::mutable_buffer, 2> buffers{net::mutable_buffer(), net::buffer(space)};
    auto read = co_await stream.async_read_some(buffers, use_tuple);
    EXPECT_FALSE(std::get<0>(read));
    co_return std::string(space.data(), std::get<1>(read));
  });
  EXPECT_EQ(received, "hello");
}

TEST(AnyStream, CancellingAReadReachesTheUnderlyingStream) {
  auto ec = run_coro(
      [](net::io_context& ctx) -> net::awaitable<boost::system::error_code> {
        loopback pair(ctx);
        any_stream stream(pair.stream);
        net::cancellation_signal cancel;
        // Runs once the read below has started and is waiting for bytes that never come.
        net::post(ctx, [&] { cancel.emit(net::cancellation_type::terminal); });
        std::array<char, 16> space{};
        auto read = co_await stream.async_read_some(net::buffer(space),
                                                    net::bind_cancellation_slot(cancel.slot(), use_tuple));
        co_return std::get<0>(read);
      },
      std::chrono::seconds(10));
  EXPECT_EQ(ec, net::error::operation_aborted);
}

TEST(AnyStream, TheTimeoutOfTheTcpLayerEndsARead) {
  auto ec = run_coro([](net::io_context& ctx) -> net::awaitable<boost::system::error_code> {
    loopback pair(ctx);
    any_stream stream(pair.stream);
    stream.lowest().expires_after(std::chrono::milliseconds(20));
    std::array<char, 16> space{};
    auto read = co_await stream.async_read_some(net::buffer(space), use_tuple);
    co_return std::get<0>(read);
  });
  EXPECT_EQ(ec, beast::error::timeout);
}

}  // namespace
}  // namespace idabus::io::http
