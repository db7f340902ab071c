#pragma once
// client: an HTTP/1.1 client for one endpoint (http or https), with a bounded keep-alive pool.
//
// - request(req) sends one request and returns the whole response (any status: 4xx/5xx are
//   values, not errors). It sets Host, User-Agent (unless given) and Content-Length itself;
//   a Content-Length or Transfer-Encoding header given by the caller is replaced.
// - Pool: at most options.max_connections connections exist at once (idle + busy + connecting).
//   A request takes the most recently used idle connection, or opens a new one while under the
//   bound, or waits (asynchronously) until one is returned. Waiters are served first come, first
//   served: a returned connection (or the slot of a closed one) goes straight to the oldest
//   waiter, and a new request queues behind existing waiters instead of taking it. Connections
//   idle longer than idle_timeout, closed by the server, or with unexpected bytes pending are
//   discarded when found, not reused. A connection goes back to the pool only after a complete
//   response that allows keep-alive (no "Connection: close"); after any error it is closed.
// - Retry-once rule: when a request fails on a *reused* keep-alive connection because the server
//   had closed it (end of stream, reset, broken pipe) and not a single byte of the response had
//   arrived, and the request is idempotent (GET, HEAD, OPTIONS, PUT, DELETE, or
//   request::idempotent set by the caller), it is sent once more on a new connection. Nothing
//   else is retried here: timeouts, errors on fresh connections, partial responses and
//   non-idempotent requests surface as transport_error for the caller's policy to decide.
// - Pooled bodies: a request with pooled_body set gets its body in response::pooled_body, a buffer
//   taken from the client's body pool (body_pool.hpp), which keeps at most max_connections idle
//   buffers (one per response that can be read at once; more are freed). The buffer returns to the
//   pool when its last owner drops it, on any thread, even after the client is gone. A body with a
//   Content-Length is read straight from the connection into that buffer: only the bytes that
//   arrived together with the header are copied out of the connection's read buffer. Other bodies
//   (chunked, or until the end of stream) go through Beast's parser, like response::body always.
// - Timeouts: connect_timeout bounds resolve + TCP connect + TLS handshake; request_timeout
//   bounds writing the request and reading the whole response.
// - TLS: SNI is sent for host names; the peer certificate is verified against the system CA store
//   (plus options.extra_ca_pem) and the host name (or IP address) checked, unless verify_peer is
//   false.
// - Cancellation: cancelling the awaiting coroutine (its cancellation slot) aborts the request,
//   closes its connection (never returned to the pool) and throws transport_error with kind
//   cancelled. A coroutine waiting for a free connection is cancelled the same way.
// - Errors: transport_error (see transport_error.hpp) naming host:port and the cause.
// - Thread-safety: none. Construct the client and call request() from the threads of one
//   single-threaded executor (one io_context thread, or a strand); any number of coroutines may
//   have requests in flight at once. Requests (from the call of request() on) keep the pool
//   alive, so destroying the client while requests are pending or running is safe: idle
//   connections close at once, busy ones when their request ends.

#include "io/http/message.hpp"
#include "io/http/transport_error.hpp"
#include "io/http/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace idabus::io::http {

namespace net = boost::asio;

/// Every response body has response_body_slack (body_pool.hpp) bytes of spare capacity past its
/// last byte: body.capacity() >= body.size() + response_body_slack, and the same for pooled_body.
/// A parser that reads a little past the end of its input (simdjson: 64 bytes) can then use the
/// body where it lies instead of copying it.

struct client_options {
  std::size_t max_connections = 16;                       ///< upper bound of open connections (>= 1)
  std::chrono::milliseconds connect_timeout{10'000};      ///< resolve + connect + TLS handshake
  std::chrono::milliseconds request_timeout{60'000};      ///< write request + read whole response
  std::size_t max_response_bytes = 64u * 1024 * 1024;    ///< body limit; headers are capped at
                                                          ///< min(this, 1 MiB)
  bool verify_peer = true;                                ///< TLS: verify certificate and host name
  std::chrono::milliseconds idle_timeout{30'000};         ///< idle connections older than this are
                                                          ///< closed instead of reused
  std::string user_agent = "idabus-backup/0.1";           ///< unless the request has one
  std::string extra_ca_pem;                               ///< TLS: additional trusted CAs (PEM)
};

/// Counters since construction, for tests and diagnostics.
struct client_stats {
  std::uint64_t requests = 0;             ///< request() calls that returned a response
  std::uint64_t connections_opened = 0;   ///< successful connects (and TLS handshakes)
  std::uint64_t connections_reused = 0;   ///< exchanges on a connection taken from the pool
  std::uint64_t connections_discarded = 0;///< connections the client closed: failed, stale, idle too
                                          ///< long, cancelled, or answered without keep-alive
  std::uint64_t retries = 0;              ///< transparent resends under the retry-once rule
  std::uint64_t response_reads = 0;       ///< reads of response bytes from connections (each reads
                                          ///< the socket once for body bytes: at most 64 KiB into the
                                          ///< read buffer, or up to the rest of a pooled body)
  std::uint64_t body_bytes_copied = 0;    ///< body bytes copied out of connections' read buffers:
                                          ///< all of a body read into response::body, of a pooled
                                          ///< Content-Length body only those that came with the header
};

class client {
 public:
  /// Throws std::invalid_argument when max_connections is 0, or the TLS context cannot load
  /// extra_ca_pem. Opens no connection yet.
  client(net::any_io_executor executor, endpoint target, client_options options = {});
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` (origin-form target, e.g. "/dbs/x/colls/y/docs") and reads the response.
  /// Throws transport_error; see the file comment for pooling, retry and cancellation.
  net::awaitable<response> request(http::request req);

  const endpoint& target() const noexcept;
  client_stats stats() const noexcept;
  /// Connections that exist now (idle, busy or connecting).
  std::size_t open_connections() const noexcept;
  /// Idle connections in the pool now.
  std::size_t idle_connections() const noexcept;
  /// Where pooled response bodies come from and return to.
  const body_pool& bodies() const noexcept;

  struct impl;  ///< implementation detail (shared with in-flight requests)

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace idabus::io::http
