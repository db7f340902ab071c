#pragma once
// scripted_server: a loopback HTTP/1.1 server for tests, driven by a script.
//
// - Listens on 127.0.0.1 with an ephemeral port as soon as it is constructed and serves on the
//   executor it was given (normally the test's single-threaded io_context). Plain TCP, or TLS
//   with a freshly generated self-signed certificate (options::tls).
// - Every request it reads is recorded (method, target, headers, body, which connection) and
//   answered by the next `reply` of the script, or by the handler function. When a script runs
//   out, the server answers 500 with a body that says so, so a test that sends too many requests
//   fails visibly.
// - A reply can: send a response (Content-Length or chunked), wait before answering, close the
//   connection after answering, reset the connection half way through the body, or close the
//   connection without answering.
// - The destructor (or stop()) closes the listener and every connection and cancels pending
//   delays; coroutines still in flight finish on the executor without touching the server object.
// - Not thread-safe: use it from the executor's thread only.

#include "io/http/message.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace idabus::test {

namespace net = boost::asio;

/// What the server does with one request.
struct reply {
  enum class ending {
    keep_open,               ///< answer, keep the connection for the next request (unless the
                             ///< client asked for Connection: close)
    close,                   ///< answer, then close the connection (no Connection header added)
    reset_mid_body,          ///< send the status line, headers and half the body, then reset (RST)
    close_without_response,  ///< read the request, then close without sending a byte
  };

  unsigned status = 200;
  io::http::header_list headers;
  std::string body;
  bool chunked = false;                ///< Transfer-Encoding: chunked instead of Content-Length
  std::size_t chunk_size = 4096;       ///< bytes per chunk when chunked
  std::chrono::milliseconds delay{0};  ///< wait this long after reading the request
  ending then = ending::keep_open;

  // Builders; each returns a copy so scripts read as one expression.
  static reply ok(std::string body = {});
  static reply with_status(unsigned status, std::string body = {});
  static reply reset_mid_body_of(std::string body);
  static reply close_without_response();
  reply header(std::string name, std::string value) const;
  reply as_chunked(std::size_t chunk_size = 4096) const;
  reply after(std::chrono::milliseconds delay) const;
  reply then_close() const;
};

/// One request as the server received it.
struct recorded_request {
  std::string method;
  std::string target;
  io::http::header_list headers;
  std::string body;
  std::size_t connection = 0;  ///< 0-based index of the accepted connection it arrived on

  std::string_view header(std::string_view name) const noexcept { return io::http::find_header(headers, name); }
};

/// A self-signed certificate and its private key, PEM encoded.
struct test_certificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

/// Generates an EC P-256 self-signed certificate (valid from an hour ago for a day) whose subject
/// is CN=<common_name> with the given subjectAltName list (OpenSSL syntax). Throws
/// std::runtime_error naming the OpenSSL step that failed.
test_certificate make_self_signed_certificate(const std::string& common_name = "localhost",
                                              const std::string& subject_alt_names = "DNS:localhost,IP:127.0.0.1");

struct scripted_server_options {
  bool tls = false;  ///< serve TLS
  /// TLS certificate; when empty, one from make_self_signed_certificate() (localhost, 127.0.0.1).
  test_certificate certificate{};
};

class scripted_server {
 public:
  using handler = std::function<reply(const recorded_request&)>;

  /// Answers requests with `script` in order (across all connections).
  scripted_server(net::any_io_executor executor, std::vector<reply> script, scripted_server_options options = {});
  /// Answers every request with `respond(request)`.
  scripted_server(net::any_io_executor executor, handler respond, scripted_server_options options = {});
  ~scripted_server();

  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:<port>" or "https://127.0.0.1:<port>".
  std::string url() const;
  /// PEM of the server certificate (empty without TLS).
  const std::string& certificate_pem() const noexcept;

  /// Every request read so far, in arrival order.
  const std::vector<recorded_request>& requests() const noexcept;
  std::size_t connections_accepted() const noexcept;
  std::size_t open_connections() const noexcept;
  /// The largest number of connections that were open at the same time.
  std::size_t max_open_connections() const noexcept;

  /// Closes the listener and every connection. Idempotent.
  void stop();

  struct state;  ///< implementation detail, shared with the server's coroutines

 private:
  std::shared_ptr<state> state_;
};

}  // namespace idabus::test
