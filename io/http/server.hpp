#pragma once
// server: a small HTTP/1.1 server (plain or TLS) that hands each request to one coroutine handler.
// - Listens on options.host:options.port (port 0 = an ephemeral port; port() tells which one).
// - Keep-alive: a connection serves requests one after the other until the client closes, sends
//   `Connection: close`, stays idle past options.idle_timeout, or the server shuts down.
// - Bodies larger than options.body_limit are answered 413 and the connection is closed; a request
//   that cannot be parsed is answered 400 and the connection is closed.
// - The handler runs on the connection's strand; with several threads calling io_context::run(),
//   different connections run in parallel, so the handler must be thread-safe.
// - A handler exception becomes a 500 with the exception's message (the connection stays usable).
// - Fault injection: a reply may ask for a delay before it is written, or for the connection to be
//   reset (TCP RST) after the headers and half of the body went out.
// - shutdown(): stop accepting, close idle connections, let requests in flight finish for at most
//   options.shutdown_grace, then close every connection. run() ends when all connections ended.
// Beast stays in server.cpp: this header only needs Asio and io/http/message.hpp.

#include "io/http/message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace idabus::io::http {

namespace net = boost::asio;

/// PEM files of the server certificate (chain) and its private key.
struct tls_files {
  std::string cert_file;
  std::string key_file;
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                     ///< 0 = ephemeral
  std::optional<tls_files> tls;               ///< set = HTTPS only
  std::size_t body_limit = 16 * 1024 * 1024;  ///< bytes; larger bodies get 413
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};    ///< between requests
  std::chrono::milliseconds io_timeout{std::chrono::seconds(60)};       ///< one read/write/handshake
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};    ///< bound on in-flight work
};

/// How the server delivers a reply.
enum class delivery {
  complete,         ///< write the whole response
  reset_mid_body,   ///< write the headers and half the body, then reset the connection (RST)
};

/// A response plus delivery instructions (fault injection).
struct reply {
  response message;
  delivery how = delivery::complete;
  std::chrono::milliseconds delay{0};  ///< wait this long before writing
};

using handler = std::function<net::awaitable<response>(request)>;
using reply_handler = std::function<net::awaitable<reply>(request)>;

class server {
 public:
  /// Binds and listens at once. Throws std::runtime_error naming host, port and the reason when the
  /// address cannot be bound, or the TLS files cannot be loaded.
  server(net::any_io_executor executor, server_options options, reply_handler handler);
  server(net::any_io_executor executor, server_options options, handler handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (useful with port 0).
  std::uint16_t port() const noexcept;
  /// "http://host:port" or "https://host:port".
  std::string url() const;

  /// Accepts and serves connections until shutdown(); ends when the acceptor is closed and every
  /// connection has ended. Cancelling run() closes everything at once (handlers still running
  /// finish on their own). Call once; destroy the server only after run() returned or its
  /// io_context stopped.
  net::awaitable<void> run();

  /// Starts a graceful shutdown (see the file comment). Thread-safe, idempotent, returns at once.
  void shutdown();

  /// Number of requests answered so far (for tests and statistics). Thread-safe.
  std::uint64_t requests_served() const noexcept;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace idabus::io::http
