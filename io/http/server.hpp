#pragma once
// server: a small HTTP/1.1 server (plain or TLS) that hands each request to one coroutine handler.
// - Listens on options.host:options.port (port 0 = an ephemeral port; port() tells which one).
// - Each connection is a session: a free coroutine on its own strand, spawned with a cancellation
//   slot the server emits into. Keep-alive: a session serves requests one after the other until
//   the client closes, sends `Connection: close`, stays idle past options.idle_timeout, or the
//   server stops.
// - Head before body: a request's head is read first (options.header_timeout from its first byte,
//   so a client trickling a header is closed). Then, before a byte of the body is read:
//     Content-Length over options.body_limit        -> 413, connection closed;
//     the head_check (e.g. authentication) refuses  -> its response, connection closed;
//     the body would take the bytes in flight over options.max_body_bytes_in_flight
//                                                   -> 503 + Retry-After, connection closed.
//   Only then is the body read (within options.body_timeout) and the handler called.
//   A chunked body counts as body_limit bytes in flight. A malformed request gets 400, a head
//   over 64 KiB 431; both close the connection.
// - Load shedding: a connection accepted while options.max_connections sessions are open is
//   answered 503 + Retry-After at once (nothing is read) and closed.
// - accept() failing for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) is
//   retried after a pause growing from 10 ms to 100 ms, so the server neither spins nor gives up.
// - The handler runs on the connection's strand; with several threads calling io_context::run(),
//   different connections run in parallel, so the handler and the head_check must be thread-safe.
// - A handler exception becomes a 500 with the exception's message (the connection stays usable).
// - Fault injection: a reply may ask for a delay before it is written, or for the connection to be
//   reset (TCP RST) after the headers and half of the body went out.
// Cancellation:
// - shutdown() = graceful stop: stop accepting; every session gets cancellation type `total`:
//   an idle session (or one still reading a request head) closes at once, a session whose request
//   passed its checks reads the body, runs the handler, writes the response (Connection: close),
//   then closes. After options.shutdown_grace, stop() follows.
// - stop() = hard stop: stop accepting; every session gets `terminal`: the handler in flight is
//   cancelled through its cancellation slot, no response is written, the connection closes.
// - Cancelling run() is a hard stop.
// run() ends when the acceptor is closed and every session has ended.
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
  std::size_t max_connections = 1024;         ///< open sessions; more are answered 503
  std::size_t max_body_bytes_in_flight = 256 * 1024 * 1024;  ///< request bodies held at once
  std::chrono::seconds retry_after{1};        ///< Retry-After of a 503 from load shedding
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};   ///< waiting for a request
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};  ///< a head, or a TLS handshake
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};    ///< a whole request body
  std::chrono::milliseconds io_timeout{std::chrono::seconds(60)};      ///< writing one response
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};   ///< graceful stop, then hard
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

/// Looks at a request head (method, target, headers; the body is still unread and empty) and
/// either lets the request go on (nullopt) or answers it (the connection then closes without
/// reading the body). Called on the connection's strand; must be quick and thread-safe.
using head_check = std::function<std::optional<response>(const request& head)>;

/// Counters of a server, read together (each one is exact; they are not one snapshot).
struct server_stats {
  std::uint64_t requests_served = 0;      ///< handler responses written (or attempted)
  std::uint64_t requests_refused = 0;     ///< answered from the head: 413 or by the head_check
  std::uint64_t requests_shed = 0;        ///< 503: body bytes in flight at the cap
  std::uint64_t connections_shed = 0;     ///< 503: connections at the cap
  std::uint64_t timeouts = 0;             ///< sessions closed by header or body timeout
  std::uint64_t accept_failures = 0;      ///< accept() errors (each retry after a pause counts)
  std::uint64_t body_reads = 0;           ///< socket reads made while reading request bodies
  std::size_t connections = 0;            ///< sessions open now
  std::size_t body_bytes_buffered = 0;    ///< request body bytes held now
  std::size_t body_bytes_buffered_peak = 0;  ///< the most ever held at once
};

class server {
 public:
  /// Binds and listens at once. Throws std::runtime_error naming host, port and the reason when the
  /// address cannot be bound, or the TLS files cannot be loaded. An empty `check` admits every head.
  server(net::any_io_executor executor, server_options options, reply_handler handler, head_check check = {});
  server(net::any_io_executor executor, server_options options, handler handler, head_check check = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (useful with port 0).
  std::uint16_t port() const noexcept;
  /// "http://host:port" or "https://host:port".
  std::string url() const;

  /// Accepts and serves connections until shutdown() or stop(); ends when the acceptor is closed
  /// and every session has ended. Cancelling it is a hard stop. Call once; destroy the server only
  /// after run() returned or its io_context stopped.
  net::awaitable<void> run();

  /// Graceful stop (see the file comment). Thread-safe, idempotent, returns at once.
  void shutdown();

  /// Hard stop (see the file comment). Thread-safe, idempotent, returns at once.
  void stop();

  /// Number of requests answered by the handler so far. Thread-safe.
  std::uint64_t requests_served() const noexcept;

  /// The counters above. Thread-safe.
  server_stats stats() const noexcept;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace idabus::io::http
