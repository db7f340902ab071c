#include "io/http/client.hpp"
#include "io/http/any_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <list>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace idabus::io::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;
using beast_request = bhttp::request<bhttp::string_body>;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// Room reserved in each connection's read buffer. Beast reads min(max(512, free capacity),
/// 64 KiB) bytes per call and never grows a buffer the parser keeps draining, so without it a
/// response body was read 512 bytes per system call (bench_backup: 570,701 recvmsg for 292 MB).
constexpr std::size_t read_buffer_bytes = 64 * 1024;

/// Reserves room for `bytes` of body plus response_body_slack (see body_pool.hpp).
void reserve_padded(std::string& body, std::size_t bytes) { body.reserve(bytes + response_body_slack); }
void reserve_padded(body_buffer& body, std::size_t bytes) { body.reserve(bytes); }

/// Beast's string_body, reading differently: it appends what arrives where string_body resizes
/// first, which zero-fills every body byte before copying it (a tenth of bench_backup's CPU
/// samples), and it leaves response_body_slack bytes of capacity past the body (see body_pool.hpp).
/// `Container` is std::string or body_buffer.
template <class Container>
struct padded_body {
  using value_type = Container;

  static std::uint64_t size(const value_type& body) noexcept { return body.size(); }

  class reader {
   public:
    template <bool is_request, class Fields>
    reader(bhttp::header<is_request, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, error_code& ec) {
      ec = {};
      // The parser's body_limit (max_response_bytes) has already rejected a longer length.
      if (length) reserve_padded(body_, static_cast<std::size_t>(*length));
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      ec = {};
      std::size_t bytes = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        bytes += b.size();
      }
      return bytes;
    }

    void finish(error_code& ec) {
      ec = {};
      // Without a Content-Length (chunked), the body grew as it came.
      reserve_padded(body_, body_.size());
    }

   private:
    value_type& body_;
  };
};

struct connection {
  connection() { buffer.reserve(read_buffer_bytes); }

  std::optional<beast::tcp_stream> plain;
  std::optional<tls_stream> tls;
  beast::flat_buffer buffer;
  bool connected = false;
  steady::time_point idle_since{};

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void close() noexcept {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }
};

struct exchange_result {
  error_code ec;
  bool writing = false;    ///< the error happened while sending the request
  bool got_bytes = false;  ///< some byte of the response had arrived before the error
  bool keep_alive = false;
  std::uint64_t reads = 0;  ///< reads for the response (Beast read_some calls and direct reads)
  std::uint64_t body_bytes_copied = 0;  ///< body bytes copied out of the connection's read buffer
  response res;
};

bool is_idempotent(const http::request& req) noexcept {
  if (req.idempotent) return true;
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) {
    if (req.method == m) return true;
  }
  return false;
}

/// The peer closed (or reset) the connection: what a stale keep-alive connection looks like.
bool closed_by_peer(const error_code& ec) noexcept {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted || ec == net::ssl::error::stream_truncated;
}

bool is_http_category(const error_code& ec) noexcept {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

bool is_ssl_category(const error_code& ec) noexcept {
  return ec.category() == net::error::get_ssl_category() || ec.category() == net::ssl::error::get_stream_category();
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

enum class parse_goal { header, message };

/// bhttp::async_read's own loop, counted: each read_some reads the connection once for body
/// bytes. The parser is not eager: it stops after the header, leaving the bytes after it in
/// c.buffer. False after an error (then in r).
template <class Parser>
net::awaitable<bool> parse_until(any_stream stream, connection& c, Parser& parser, parse_goal goal,
                                 exchange_result& r) {
  while (goal == parse_goal::header ? !parser.is_header_done() : !parser.is_done()) {
    auto read = co_await bhttp::async_read_some(stream, c.buffer, parser, use_tuple);
    ++r.reads;
    if (std::get<0>(read)) {
      r.ec = std::get<0>(read);
      r.got_bytes = parser.got_some() || c.buffer.size() > 0;
      co_return false;
    }
  }
  co_return true;
}

/// Reads the rest of a Content-Length body, `length` bytes, into `body`: first the bytes that
/// arrived with the header (still in the connection's read buffer), then straight from the stream
/// into the body, so that no other byte is copied. Leaves any byte past the body in the buffer.
net::awaitable<void> read_body_directly(any_stream stream, connection& c, std::size_t length, body_buffer& body,
                                        exchange_result& r) {
  const std::size_t buffered = std::min(c.buffer.size(), length);
  if (buffered > 0) {
    const auto first = *net::buffer_sequence_begin(c.buffer.data());  // a flat_buffer is one buffer
    body.append(static_cast<const char*>(first.data()), buffered);
    c.buffer.consume(buffered);
    r.body_bytes_copied += buffered;
  }
  while (body.size() < length) {
    auto read = co_await stream.async_read_some(net::buffer(body.spare(), length - body.size()), use_tuple);
    ++r.reads;
    body.commit(std::get<1>(read));
    if (error_code ec = std::get<0>(read)) {
      // As Beast's parser reports an end of stream after part of a message.
      r.ec = ec == net::error::eof ? error_code(bhttp::error::partial_message) : ec;
      r.got_bytes = true;
      co_return;
    }
  }
}

/// Sends `msg` and reads the response into r.res: its body into r.res.body (std::string), or,
/// when `pool` is set, into r.res.pooled_body, a buffer taken from the pool (a Content-Length
/// body then read by read_body_directly, any other through Beast's parser).
template <class Container>
net::awaitable<exchange_result> exchange_on(any_stream stream, connection& c, beast_request& msg, bool head,
                                            std::chrono::milliseconds request_timeout,
                                            std::size_t max_response_bytes, body_pool* pool) {
  constexpr bool pooled = std::is_same_v<Container, body_buffer>;
  exchange_result r;
  c.tcp().expires_after(request_timeout);
  auto written = co_await bhttp::async_write(stream, msg, use_tuple);
  if (std::get<0>(written)) {
    r.ec = std::get<0>(written);
    r.writing = true;
    co_return r;
  }

  bhttp::response_parser<padded_body<Container>> parser;
  parser.body_limit(static_cast<std::uint64_t>(max_response_bytes));
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_response_bytes, 1u << 20)));
  if (head) parser.skip(true);
  body_buffer direct;  // a pooled Content-Length body, read without the parser
  bool read_directly = false;
  if constexpr (pooled) {
    if (!co_await parse_until(stream, c, parser, parse_goal::header, r)) co_return r;
    const auto length = parser.content_length();
    read_directly = length && !parser.is_done();
    if (read_directly) {
      direct = pool->take(static_cast<std::size_t>(*length));
      co_await read_body_directly(stream, c, static_cast<std::size_t>(*length), direct, r);
      if (r.ec) co_return r;
    } else if (!parser.is_done()) {
      parser.get().body() = pool->take(read_buffer_bytes);  // chunked, or until the end of stream
    }
  }
  if (!read_directly) {
    if (!co_await parse_until(stream, c, parser, parse_goal::message, r)) co_return r;
    r.body_bytes_copied += parser.get().body().size();  // the parser copies every body byte
  }
  c.tcp().expires_never();

  auto& msg_in = parser.get();
  r.keep_alive = msg_in.keep_alive() && !msg_in.need_eof();
  r.res.status = msg_in.result_int();
  for (const auto& field : msg_in) {
    r.res.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  if constexpr (pooled) {
    r.res.pooled_body = read_directly ? std::move(direct) : std::move(msg_in.body());
    reserve_padded(r.res.pooled_body, r.res.pooled_body.size());  // a body the parser never began
  } else {
    r.res.body = std::move(msg_in.body());
  }
  co_return r;
}

}  // namespace

struct client::impl {
  impl(net::any_io_executor ex, endpoint ep, client_options opts)
      : executor(std::move(ex)), target(std::move(ep)), options(std::move(opts)) {}

  /// A request waiting for a connection. Whatever frees up (a returned connection, or the slot
  /// of a closed one) is handed to the first waiter directly, so no later request can take it
  /// first: waiters are served first come, first served.
  struct waiter {
    net::steady_timer timer;
    bool granted = false;              ///< got `conn`, or a slot to open a new connection in
    std::unique_ptr<connection> conn{};  ///< the returned connection, if one was handed over
  };

  /// A connection taken from the pool. Destroying a lease discards (closes) its connection;
  /// give_back() returns it for reuse.
  class lease {
   public:
    lease(impl* pool, std::unique_ptr<connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    lease(lease&& other) noexcept = default;
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (conn_) pool_->discard(std::move(conn_));
    }
    connection& operator*() const noexcept { return *conn_; }
    connection* operator->() const noexcept { return conn_.get(); }
    void give_back() { pool_->give_back(std::move(conn_)); }

   private:
    impl* pool_;
    std::unique_ptr<connection> conn_;
  };

  net::any_io_executor executor;
  endpoint target;
  client_options options;
  std::shared_ptr<body_pool> bodies = body_pool::create(options.max_connections);
  std::unique_ptr<net::ssl::context> ssl;
  std::vector<std::unique_ptr<connection>> idle;  ///< most recently used last
  std::size_t open = 0;                           ///< idle + leased (including connecting)
  std::list<waiter*> waiters;
  client_stats stats;

  transport_error error(transport_error_kind kind, error_code cause, const std::string& what) const {
    return transport_error(kind, cause, "http " + target.authority() + ": " + what);
  }

  // ---- pool ----

  bool reusable(connection& c) const {
    if (!c.connected || c.buffer.size() > 0) return false;
    if (steady::now() - c.idle_since > options.idle_timeout) return false;
    auto& socket = c.tcp().socket();
    if (!socket.is_open()) return false;
    // A peek that would block means: still open, nothing unexpected pending. End of stream or any
    // pending byte (the server closing, or a TLS alert) means the connection is not reusable.
    error_code ec;
    socket.non_blocking(true, ec);
    char byte = 0;
    socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
    error_code ignored;
    socket.non_blocking(false, ignored);
    return ec == net::error::would_block;
  }

  /// Hands `c` (a returned connection, or nullptr: the slot of a closed one) to the first
  /// waiter; false when nobody waits.
  bool hand_over(std::unique_ptr<connection>& c) {
    if (waiters.empty()) return false;
    waiter* w = waiters.front();
    waiters.pop_front();
    w->granted = true;
    w->conn = std::move(c);
    w->timer.cancel();
    return true;
  }

  /// A connection slot became free: the first waiter opens a new connection in it.
  void release_slot() {
    std::unique_ptr<connection> none;
    if (!hand_over(none)) --open;
  }

  void discard(std::unique_ptr<connection> c) {
    c->close();
    ++stats.connections_discarded;
    release_slot();
  }

  void give_back(std::unique_ptr<connection> c) {
    c->idle_since = steady::now();
    if (!hand_over(c)) idle.push_back(std::move(c));
  }

  std::unique_ptr<connection> make_connection() {
    auto c = std::make_unique<connection>();
    if (ssl) {
      c->tls.emplace(executor, *ssl);
    } else {
      c->plain.emplace(executor);
    }
    return c;
  }

  net::awaitable<lease> acquire() {
    // Idle connections and free slots exist only while nobody waits (they are handed over
    // otherwise), so a newcomer never overtakes a waiter.
    if (waiters.empty()) {
      while (!idle.empty()) {
        std::unique_ptr<connection> c = std::move(idle.back());
        idle.pop_back();
        if (reusable(*c)) co_return lease(this, std::move(c));
        discard(std::move(c));
      }
      if (open < options.max_connections) {
        ++open;
        co_return lease(this, make_connection());
      }
    }
    waiter w{net::steady_timer(executor, steady::time_point::max())};
    waiters.push_back(&w);
    // Leaves the list also when this frame is destroyed while suspended (its io_context shutting
    // down), so that no later hand-over writes into a destroyed frame.
    struct unlist_guard {
      impl* pool;
      std::list<waiter*>::iterator self;
      bool listed = true;
      ~unlist_guard() {
        if (listed) pool->waiters.erase(self);
      }
    } unlist{this, std::prev(waiters.end())};
    co_await w.timer.async_wait(use_tuple);
    if (w.granted) unlist.listed = false;  // a grant already took it off the list
    const auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none || !w.granted) {
      // Pass what this waiter was handed but will not use on to the next one.
      if (w.conn) {
        give_back(std::move(w.conn));
      } else if (w.granted) {
        release_slot();
      }
      throw error(transport_error_kind::cancelled, net::error::operation_aborted,
                  "cancelled while waiting for a free connection");
    }
    if (w.conn) {
      if (reusable(*w.conn)) co_return lease(this, std::move(w.conn));
      // Stale: close it but keep its slot for a new connection.
      w.conn->close();
      ++stats.connections_discarded;
    }
    co_return lease(this, make_connection());
  }

  // ---- connect ----

  net::awaitable<void> connect(connection& c) {
    auto resolver = std::make_shared<tcp::resolver>(executor);
    auto resolve_timed_out = std::make_shared<bool>(false);
    net::steady_timer resolve_timer(executor, options.connect_timeout);
    resolve_timer.async_wait([resolver, resolve_timed_out](error_code ec) {
      if (!ec) {
        *resolve_timed_out = true;
        resolver->cancel();
      }
    });
    auto resolved = co_await resolver->async_resolve(target.host, std::to_string(target.port), use_tuple);
    resolve_timer.cancel();
    if (const error_code ec = std::get<0>(resolved)) {
      if (*resolve_timed_out) {
        throw error(transport_error_kind::connect_failed, ec,
                    "name resolution timed out after " + ms(options.connect_timeout));
      }
      if (ec == net::error::operation_aborted) {
        throw error(transport_error_kind::cancelled, ec, "cancelled while resolving the host name");
      }
      throw error(transport_error_kind::connect_failed, ec, "cannot resolve host name");
    }

    c.tcp().expires_after(options.connect_timeout);
    auto connected = co_await c.tcp().async_connect(std::get<1>(resolved), use_tuple);
    if (const error_code ec = std::get<0>(connected)) {
      if (ec == beast::error::timeout) {
        throw error(transport_error_kind::connect_failed, ec, "connect timed out after " + ms(options.connect_timeout));
      }
      if (ec == net::error::operation_aborted) throw error(transport_error_kind::cancelled, ec, "cancelled while connecting");
      throw error(transport_error_kind::connect_failed, ec, "connect failed");
    }
    error_code ignored;
    c.tcp().socket().set_option(tcp::no_delay(true), ignored);

    if (c.tls) {
      error_code not_an_ip;
      net::ip::make_address(target.host, not_an_ip);
      // SNI carries host names only (RFC 6066), never IP literals.
      if (not_an_ip && SSL_set_tlsext_host_name(c.tls->native_handle(), target.host.c_str()) != 1) {
        throw error(transport_error_kind::tls_failed, net::error::invalid_argument, "cannot set TLS SNI host name");
      }
      if (options.verify_peer) c.tls->set_verify_callback(net::ssl::host_name_verification(target.host));
      auto shaken = co_await c.tls->async_handshake(net::ssl::stream_base::client, use_tuple);
      if (const error_code ec = std::get<0>(shaken)) {
        if (ec == beast::error::timeout) {
          throw error(transport_error_kind::connect_failed, ec,
                      "TLS handshake timed out after " + ms(options.connect_timeout));
        }
        if (ec == net::error::operation_aborted) {
          throw error(transport_error_kind::cancelled, ec, "cancelled during the TLS handshake");
        }
        std::string what = "TLS handshake failed";
        const long verify = SSL_get_verify_result(c.tls->native_handle());
        if (verify != X509_V_OK) {
          what += std::string(" (certificate verification: ") + X509_verify_cert_error_string(verify) + ")";
        }
        throw error(transport_error_kind::tls_failed, ec, what);
      }
    }
    c.tcp().expires_never();
    c.connected = true;
    ++stats.connections_opened;
  }

  // ---- one request ----

  beast_request build(http::request& req) const {
    if (req.method.empty()) throw std::invalid_argument("http::client::request: the method is empty");
    if (req.target.empty() || req.target.front() != '/') {
      throw std::invalid_argument("http::client::request: target '" + req.target +
                                  "' must be origin-form, starting with '/'");
    }
    beast_request msg;
    msg.version(11);
    msg.method_string(req.method);
    msg.target(req.target);
    for (auto& [name, value] : req.headers) {
      if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
      msg.insert(name, value);
    }
    if (!has_header(req.headers, "host")) msg.set(bhttp::field::host, target.host_header());
    if (!has_header(req.headers, "user-agent")) msg.set(bhttp::field::user_agent, options.user_agent);
    msg.body() = std::move(req.body);
    msg.prepare_payload();
    return msg;
  }

  transport_error exchange_error(const exchange_result& r) const {
    const error_code& ec = r.ec;
    if (ec == net::error::operation_aborted) {
      return error(transport_error_kind::cancelled, ec, "request cancelled");
    }
    if (ec == beast::error::timeout) {
      return error(transport_error_kind::timeout, ec,
                   std::string("no complete response within ") + ms(options.request_timeout) +
                       (r.writing ? " (still sending the request)" : ""));
    }
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return error(transport_error_kind::response_too_large, ec,
                   "response larger than max_response_bytes (" + std::to_string(options.max_response_bytes) + ")");
    }
    if (closed_by_peer(ec)) {
      return error(transport_error_kind::connection_reset, ec,
                   r.writing ? "connection closed while sending the request"
                   : r.got_bytes ? "connection closed in the middle of the response"
                                 : "connection closed before the response");
    }
    if (is_http_category(ec)) return error(transport_error_kind::protocol_error, ec, "invalid HTTP response");
    if (is_ssl_category(ec)) return error(transport_error_kind::tls_failed, ec, "TLS error");
    return error(transport_error_kind::connection_reset, ec,
                 r.writing ? "cannot send the request" : "cannot read the response");
  }

  net::awaitable<response> perform(http::request req) {
    const bool resend_ok = is_idempotent(req);
    const bool head = req.method == "HEAD";
    const bool pooled = req.pooled_body;
    beast_request msg = build(req);
    for (int attempt = 0;; ++attempt) {
      lease conn = co_await acquire();
      const bool reused = conn->connected;
      if (!reused) co_await connect(*conn);
      if (reused) ++stats.connections_reused;

      any_stream stream = conn->tls ? any_stream(*conn->tls) : any_stream(*conn->plain);
      exchange_result r;
      if (pooled) {
        r = co_await exchange_on<body_buffer>(stream, *conn, msg, head, options.request_timeout,
                                              options.max_response_bytes, bodies.get());
      } else {
        r = co_await exchange_on<std::string>(stream, *conn, msg, head, options.request_timeout,
                                              options.max_response_bytes, nullptr);
      }
      stats.response_reads += r.reads;
      stats.body_bytes_copied += r.body_bytes_copied;
      if (!r.ec) {
        if (r.keep_alive) conn.give_back();
        ++stats.requests;
        co_return std::move(r.res);
      }
      if (reused && attempt == 0 && resend_ok && !r.got_bytes && closed_by_peer(r.ec)) {
        ++stats.retries;
        continue;  // `conn` is discarded here; the next attempt opens or takes another connection
      }
      throw exchange_error(r);
    }
  }
};

client::client(net::any_io_executor executor, endpoint target, client_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(target), std::move(options))) {
  if (impl_->options.max_connections == 0) {
    throw std::invalid_argument("http::client: options.max_connections must be at least 1");
  }
  if (impl_->target.scheme == url_scheme::https) {
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    if (impl_->options.verify_peer) {
      ctx->set_verify_mode(net::ssl::verify_peer);
      error_code ec;
      ctx->set_default_verify_paths(ec);  // no system store is not fatal: extra_ca_pem may suffice
      if (!impl_->options.extra_ca_pem.empty()) {
        ctx->add_certificate_authority(net::buffer(impl_->options.extra_ca_pem), ec);
        if (ec) throw std::invalid_argument("http::client: options.extra_ca_pem is not a PEM certificate: " + ec.message());
      }
    } else {
      ctx->set_verify_mode(net::ssl::verify_none);
    }
    impl_->ssl = std::move(ctx);
  }
}

client::~client() {
  // Idle connections close now; leased ones are closed or pooled by their requests, which keep
  // the impl alive.
  auto idle = std::move(impl_->idle);
  impl_->idle.clear();
  for (auto& c : idle) impl_->discard(std::move(c));
}

namespace {

net::awaitable<response> run_request(std::shared_ptr<client::impl> self, http::request req) {
  try {
    response res = co_await self->perform(std::move(req));
    co_return res;
  } catch (const transport_error&) {
    throw;
  } catch (const boost::system::system_error& e) {
    // An operation started after cancellation was requested throws operation_aborted directly.
    if (e.code() == net::error::operation_aborted) {
      throw self->error(transport_error_kind::cancelled, e.code(), "request cancelled");
    }
    throw;
  }
}

}  // namespace

net::awaitable<response> client::request(http::request req) {
  // Not a coroutine itself: the pool is shared with the request before it starts, so the client
  // may be destroyed while requests are pending or running.
  return run_request(impl_, std::move(req));
}

const endpoint& client::target() const noexcept { return impl_->target; }

client_stats client::stats() const noexcept { return impl_->stats; }

std::size_t client::open_connections() const noexcept { return impl_->open; }

std::size_t client::idle_connections() const noexcept { return impl_->idle.size(); }

const body_pool& client::bodies() const noexcept { return *impl_->bodies; }

}  // namespace idabus::io::http
