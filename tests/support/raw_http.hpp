#pragma once
// raw_http: a test client that speaks HTTP/1.1 over a plain Beast tcp_stream, byte by byte when
// needed, to play hostile or broken clients against a server (io/http/server tests, the engine's
// API server): raw bytes, a response with a time limit, a watch for the server closing.
// Header-only; the test executable must link Beast's separate compilation unit (idabus_io_http).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace idabus::test::raw_http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

inline net::awaitable<beast::tcp_stream> connect(std::uint16_t port) {
  auto ex = co_await net::this_coro::executor;
  beast::tcp_stream stream(ex);
  net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  co_await stream.async_connect(endpoint, net::use_awaitable);
  co_return stream;
}

/// A complete request with Host and Content-Length set.
inline bhttp::request<bhttp::string_body> make_raw_request(std::string method, std::string target,
                                                           std::string body = {}) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

/// Writes raw bytes; a write error is ignored (the server may have closed the connection already).
inline net::awaitable<void> send_text(beast::tcp_stream& stream, std::string text) {
  auto bytes = net::buffer(text);
  co_await net::async_write(stream, bytes, use_tuple);
}

/// The next response on `stream`, or nullopt when the connection fails or nothing arrives in `limit`.
inline net::awaitable<std::optional<bhttp::response<bhttp::string_body>>> read_response(
    beast::tcp_stream& stream, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  stream.expires_after(limit);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  auto r = co_await bhttp::async_read(stream, buffer, res, use_tuple);
  stream.expires_never();
  if (std::get<0>(r)) co_return std::nullopt;
  co_return res;
}

/// Sets `closed` when the server closes the connection (or anything else ends a read on it).
inline net::awaitable<void> watch_for_close(beast::tcp_stream& stream, bool& closed) {
  char byte = 0;
  auto one = net::buffer(&byte, 1);
  for (;;) {
    auto r = co_await stream.async_read_some(one, use_tuple);
    if (std::get<0>(r)) break;
  }
  closed = true;
}

/// Writes `req` and reads its response; throws on any error.
template <class Stream>
net::awaitable<bhttp::response<bhttp::string_body>> exchange(Stream& stream, bhttp::request<bhttp::string_body>& req) {
  co_await bhttp::async_write(stream, req, net::use_awaitable);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream, buffer, res, net::use_awaitable);
  co_return res;
}

}  // namespace idabus::test::raw_http
