#include "io/http/server.hpp"
#include "io/http/any_stream.hpp"
#include "io/json/write.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <list>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace idabus::io::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
using cancel_type = net::cancellation_type;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t header_limit = 64 * 1024;
/// Room in a session's read buffer beyond a full head (body bytes read along with it).
constexpr std::size_t read_slack = 16 * 1024;
constexpr std::size_t first_read_size = 4096;
constexpr std::chrono::milliseconds first_accept_pause{10};
constexpr std::chrono::milliseconds max_accept_pause{100};
constexpr std::chrono::seconds tls_close_timeout{2};

/// Where a session is in its request cycle; decides which stop reaches its operations.
enum class session_phase {
  waiting,    ///< for a request, its head, or a TLS handshake: any stop ends the wait
  committed,  ///< the request passed its checks: only a hard stop interrupts it
};

/// The out filter of a session's cancellation state (Asio 1.26). While waiting, a stop of any type
/// reaches the pending operation as `terminal`, the one type Beast's HTTP reads honour. Once
/// committed, only `terminal` reaches the body read, the handler and the write, so a graceful
/// (`total`) stop lets the response finish; the session sees it in its cancellation state.
struct stop_filter {
  const session_phase* phase;
  cancel_type operator()(cancel_type type) const {
    if (*phase == session_phase::committed) return type & cancel_type::terminal;
    return type == cancel_type::none ? type : cancel_type::terminal;
  }
};

/// What the server keeps of a live session: where and how to deliver a stop. Lives in
/// server::impl::sessions until every stop posted to the session has run (see impl::retire).
struct session_entry {
  explicit session_entry(net::any_io_executor ex) : executor(std::move(ex)) {}
  net::any_io_executor executor;  ///< the session's strand: `signal` is emitted only there
  net::cancellation_signal signal;
  session_phase phase = session_phase::waiting;  ///< read and written on `executor` only
  bool ended = false;                            ///< on the server strand
};

bool out_of_resources(const error_code& ec) {
  return ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
         ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

/// The peer went away, a timeout fired or the session was stopped: nothing to answer.
bool ends_quietly(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == net::error::operation_aborted || ec == beast::error::timeout || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::bad_descriptor || ec == ssl::error::stream_truncated;
}

request head_of(const bhttp::request_parser<bhttp::string_body>::value_type& msg) {
  request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.headers.reserve(16);
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return req;
}

bhttp::response<bhttp::string_body> to_beast(response&& res, bool keep_alive) {
  bhttp::response<bhttp::string_body> out;
  out.version(11);
  out.result(res.status);
  for (auto& [name, value] : res.headers) {
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection")) {
      continue;
    }
    out.insert(name, value);
  }
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

response plain_error(unsigned status, std::string_view code, std::string_view message) {
  response res;
  res.status = status;
  res.headers.emplace_back("Content-Type", "application/json");
  res.body = "{\"code\":" + json::json_quote(code) + ",\"message\":" + json::json_quote(message) + "}";
  return res;
}

/// 413, for a Content-Length over the limit (seen in the head) and for a chunked body that grows past it.
response body_too_large(std::size_t limit) {
  return plain_error(413, "RequestEntityTooLarge",
                     "request body exceeds the limit of " + std::to_string(limit) + " bytes");
}

response busy(std::string_view why, std::chrono::seconds retry_after) {
  response res = plain_error(503, "ServiceUnavailable", why);
  res.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return res;
}

void raise_to(std::atomic<std::size_t>& peak, std::size_t value) {
  std::size_t seen = peak.load(std::memory_order_relaxed);
  while (seen < value && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(net::any_io_executor ex, server_options opts, reply_handler h, head_check c)
      : executor(ex), strand(net::make_strand(ex)), options(std::move(opts)), handler(std::move(h)),
        check(std::move(c)), acceptor(strand), backoff(strand), grace(strand), drained(strand, 1) {}

  net::any_io_executor executor;
  net::strand<net::any_io_executor> strand;  // guards everything below down to `stopping`
  server_options options;
  reply_handler handler;
  head_check check;
  std::optional<ssl::context> tls;
  std::string shed_response;  // the serialized 503 written to connections over the cap
  tcp::acceptor acceptor;
  net::steady_timer backoff;  // the pause between accept attempts after EMFILE/ENFILE
  net::steady_timer grace;    // a graceful stop becomes a hard stop when it fires
  // One message once the server stops and its last session has ended.
  net::experimental::channel<void(error_code)> drained;
  std::list<session_entry> sessions;
  cancel_type stopping = cancel_type::none;  // strongest stop requested so far
  std::atomic<bool> stop_requested{false};   // `stopping != none`, readable from sessions
  std::uint16_t port = 0;

  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> requests_shed{0};
  std::atomic<std::uint64_t> connections_shed{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> accept_failures{0};
  std::atomic<std::uint64_t> body_reads{0};
  std::atomic<std::size_t> open_sessions{0};
  std::atomic<std::size_t> body_reserved{0};  // bytes promised to bodies being read or handled
  std::atomic<std::size_t> body_buffered{0};
  std::atomic<std::size_t> body_buffered_peak{0};

  void listen() {
    error_code ec;
    tcp::endpoint endpoint;
    auto address = net::ip::make_address(options.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(address, options.port);
    } else {
      tcp::resolver resolver(executor);
      auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
      if (ec || results.empty()) {
        throw std::runtime_error("http server: cannot resolve host '" + options.host + "': " + ec.message());
      }
      endpoint = results.begin()->endpoint();
    }
    auto fail = [&](const char* what) {
      throw std::runtime_error("http server: cannot " + std::string(what) + " " + options.host + ":" +
                               std::to_string(options.port) + ": " + ec.message());
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec) fail("open a socket for");
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec) fail("bind");
    acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) fail("listen on");
    port = acceptor.local_endpoint().port();
  }

  void load_tls() {
    if (!options.tls) return;
    tls.emplace(ssl::context::tls_server);
    error_code ec;
    tls->use_certificate_chain_file(options.tls->cert_file, ec);
    if (ec) {
      throw std::runtime_error("http server: cannot load TLS certificate '" + options.tls->cert_file +
                               "': " + ec.message());
    }
    tls->use_private_key_file(options.tls->key_file, ssl::context::pem, ec);
    if (ec) {
      throw std::runtime_error("http server: cannot load TLS private key '" + options.tls->key_file +
                               "': " + ec.message());
    }
  }

  void prepare_shed_response() {
    std::ostringstream text;
    text << to_beast(busy("too many connections", options.retry_after), false);
    shed_response = text.str();
  }

  // Runs on `strand`. Stops accepting and delivers `type` to every live session on its strand.
  // Stops accumulate: a session is sent every type requested so far, so a late `total` never
  // weakens an earlier `terminal`.
  void begin_stop(cancel_type type) {
    cancel_type next = stopping | type;
    if (next == stopping) return;
    stopping = next;
    stop_requested.store(true);
    error_code ec;
    acceptor.close(ec);
    backoff.cancel();
    bool hard = (stopping & cancel_type::terminal) != cancel_type::none;
    if (hard) {
      grace.cancel();
    } else if (!sessions.empty()) {
      grace.expires_after(options.shutdown_grace);
      grace.async_wait([self = shared_from_this()](error_code wait_ec) {
        if (!wait_ec) self->begin_stop(cancel_type::terminal);
      });
    }
    for (auto& s : sessions) {
      if (s.ended) continue;
      net::post(s.executor, [self = shared_from_this(), &s, next] { s.signal.emit(next); });
    }
  }

  // Runs on `strand`. A session ended: forget it once the stops already posted to it have run
  // (they run on its strand, so one more trip through it is enough).
  void retire(std::list<session_entry>::iterator it) {
    it->ended = true;
    net::post(it->executor, [self = shared_from_this(), it] {
      net::post(self->strand, [self, it] { self->erase(it); });
    });
  }

  // Runs on `strand`.
  void erase(std::list<session_entry>::iterator it) {
    sessions.erase(it);
    open_sessions.fetch_sub(1, std::memory_order_relaxed);
    if (stopping != cancel_type::none && sessions.empty()) {
      grace.cancel();
      drained.try_send(error_code{});
    }
  }

  // Runs on `strand`. Answers a connection over the cap without reading from it. The answer is
  // a few hundred bytes written to an empty socket buffer, so the write does not block; on TLS
  // there is no cheap answer and the connection is just closed.
  void shed(tcp::socket socket) {
    connections_shed.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    if (!tls) {
      socket.non_blocking(true, ec);
      net::write(socket, net::buffer(shed_response), ec);
    }
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }
};

namespace {

using impl_ptr = std::shared_ptr<server::impl>;

/// Holds `bytes` of the server's body budget for one request, or nothing when that would exceed
/// options.max_body_bytes_in_flight.
class body_reservation {
 public:
  body_reservation(server::impl& server, std::size_t bytes) : server_(server) {
    std::size_t limit = server.options.max_body_bytes_in_flight;
    std::size_t now = server.body_reserved.load(std::memory_order_relaxed);
    do {
      // Alone, any body within body_limit is admitted, so a limit below it cannot starve a request.
      if (now != 0 && (bytes > limit || now > limit - bytes)) return;
    } while (!server.body_reserved.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
    bytes_ = bytes;
    held_ = true;
  }
  ~body_reservation() { release(); }
  body_reservation(const body_reservation&) = delete;
  body_reservation& operator=(const body_reservation&) = delete;

  explicit operator bool() const noexcept { return held_; }
  void release() noexcept {
    if (held_) server_.body_reserved.fetch_sub(bytes_, std::memory_order_relaxed);
    held_ = false;
  }

 private:
  server::impl& server_;
  std::size_t bytes_ = 0;
  bool held_ = false;
};

/// Counts the body bytes one request holds in the server's body_bytes_buffered.
class body_meter {
 public:
  explicit body_meter(server::impl& server) : server_(server) {}
  ~body_meter() { update(0); }
  body_meter(const body_meter&) = delete;
  body_meter& operator=(const body_meter&) = delete;

  void update(std::size_t bytes) noexcept {
    if (bytes > held_) {
      std::size_t now = server_.body_buffered.fetch_add(bytes - held_, std::memory_order_relaxed) + bytes - held_;
      raise_to(server_.body_buffered_peak, now);
    } else {
      server_.body_buffered.fetch_sub(held_ - bytes, std::memory_order_relaxed);
    }
    held_ = bytes;
  }

 private:
  server::impl& server_;
  std::size_t held_ = 0;
};

net::awaitable<cancel_type> stop_seen() {
  auto cs = co_await net::this_coro::cancellation_state;
  co_return cs.cancelled();
}

/// Writes a response; false when the connection failed.
net::awaitable<bool> write_response(server::impl& self, any_stream& stream, response res, bool keep_alive) {
  auto out = to_beast(std::move(res), keep_alive);
  stream.lowest().expires_after(self.options.io_timeout);
  auto written = co_await bhttp::async_write(stream, out, use_tuple);
  co_return !std::get<0>(written);
}

/// Writes a handler's reply as it asks (delay, reset). False when the connection is done.
net::awaitable<bool> write_reply(server::impl& self, any_stream& stream, reply r, bool keep_alive) {
  if (r.delay.count() > 0) {
    net::steady_timer timer(stream.get_executor(), r.delay);
    co_await timer.async_wait(use_tuple);
    auto stop = co_await stop_seen();
    if ((stop & cancel_type::terminal) != cancel_type::none) co_return false;
  }
  if (r.how != delivery::reset_mid_body) co_return co_await write_response(self, stream, std::move(r.message), keep_alive);
  auto& lowest = stream.lowest();
  std::string body = std::move(r.message.body);
  std::size_t half = body.size() / 2;
  // Announce the full length so the client sees a truncated message, not a short one.
  auto res = to_beast(std::move(r.message), true);
  res.content_length(body.size());
  bhttp::response_serializer<bhttp::string_body> serializer(res);
  lowest.expires_after(self.options.io_timeout);
  co_await bhttp::async_write_header(stream, serializer, use_tuple);
  if (half > 0) {
    auto part = net::buffer(body.data(), half);
    co_await net::async_write(stream, part, use_tuple);
  }
  error_code ec;
  lowest.socket().set_option(net::socket_base::linger(true, 0), ec);
  lowest.socket().close(ec);
  co_return false;
}

/// The handler's reply, or a 500 naming its exception.
net::awaitable<reply> call_handler(server::impl& self, request req) {
  std::string failure;
  try {
    co_return co_await self.handler(std::move(req));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown error";
  }
  reply err;
  err.message = plain_error(500, "InternalServerError", "internal server error: " + failure);
  co_return err;
}

/// Serves requests on one connection (see server.hpp). True when the connection may be closed
/// politely (TLS close_notify / FIN after the last response), false when it is abandoned.
net::awaitable<bool> serve_requests(impl_ptr self, any_stream& stream, session_entry& entry) {
  auto& lowest = stream.lowest();
  const server_options& opt = self->options;
  beast::flat_buffer buffer(header_limit + read_slack);
  for (;;) {
    entry.phase = session_phase::waiting;
    auto stop = co_await stop_seen();
    if (stop != cancel_type::none) co_return true;
    if (buffer.size() == 0) {
      // Idle until the first byte of the next request; from then on the head has header_timeout.
      lowest.expires_after(opt.idle_timeout);
      auto space = buffer.prepare(first_read_size);
      auto got = co_await stream.async_read_some(space, use_tuple);
      if (std::get<0>(got)) co_return false;
      buffer.commit(std::get<1>(got));
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(opt.body_limit);
    lowest.expires_after(opt.header_timeout);
    auto head_read = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    error_code ec = std::get<0>(head_read);
    if (ec == beast::error::timeout) self->timeouts.fetch_add(1, std::memory_order_relaxed);
    if (ec == bhttp::error::body_limit) {
      self->refused.fetch_add(1, std::memory_order_relaxed);
      auto res = body_too_large(opt.body_limit);
      co_return co_await write_response(*self, stream, std::move(res), false);
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      auto res = plain_error(431, "RequestHeaderFieldsTooLarge",
                             "request head exceeds " + std::to_string(header_limit) + " bytes");
      co_return co_await write_response(*self, stream, std::move(res), false);
    }
    stop = co_await stop_seen();
    if (ec && (ends_quietly(ec) || stop != cancel_type::none)) co_return false;
    if (ec) {
      auto res = plain_error(400, "BadRequest", "malformed HTTP request: " + ec.message());
      co_return co_await write_response(*self, stream, std::move(res), false);
    }

    // The head is complete; nothing of the body has been looked at.
    request req = head_of(parser.get());
    std::optional<response> refusal;
    try {
      if (self->check) refusal = self->check(req);
    } catch (const std::exception& e) {
      refusal = plain_error(500, "InternalServerError", std::string("internal server error: ") + e.what());
    }
    if (refusal) {
      self->refused.fetch_add(1, std::memory_order_relaxed);
      co_return co_await write_response(*self, stream, std::move(*refusal), false);
    }
    std::size_t body_bytes = parser.content_length() ? static_cast<std::size_t>(*parser.content_length())
                             : parser.chunked()       ? opt.body_limit
                                                      : 0;
    body_reservation reservation(*self, body_bytes);
    if (!reservation) {
      self->requests_shed.fetch_add(1, std::memory_order_relaxed);
      auto res = busy("too many request bodies in flight", opt.retry_after);
      co_return co_await write_response(*self, stream, std::move(res), false);
    }

    entry.phase = session_phase::committed;
    if (boost::algorithm::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on;
      go_on.version(11);
      go_on.result(bhttp::status::continue_);
      lowest.expires_after(opt.io_timeout);
      co_await bhttp::async_write(stream, go_on, use_tuple);
    }
    body_meter meter(*self);
    lowest.expires_after(opt.body_timeout);
    // Beast reads at most the buffer's free capacity (at least 512 bytes): room for up to 64 KiB
    // per read, taken only once a body is committed, so idle and refused connections stay small.
    buffer.reserve(std::min(buffer.max_size(), buffer.size() + std::max<std::size_t>(body_bytes, 1)));
    while (!ec && !parser.is_done()) {
      self->body_reads.fetch_add(1, std::memory_order_relaxed);
      auto part = co_await bhttp::async_read_some(stream, buffer, parser, use_tuple);
      ec = std::get<0>(part);
      meter.update(parser.get().body().size());
    }
    if (ec == beast::error::timeout) self->timeouts.fetch_add(1, std::memory_order_relaxed);
    if (ec == bhttp::error::body_limit) {
      self->refused.fetch_add(1, std::memory_order_relaxed);
      auto res = body_too_large(opt.body_limit);
      co_return co_await write_response(*self, stream, std::move(res), false);
    }
    stop = co_await stop_seen();
    if (ec && (ends_quietly(ec) || stop != cancel_type::none)) co_return false;
    if (ec) {
      auto res = plain_error(400, "BadRequest", "malformed HTTP request body: " + ec.message());
      co_return co_await write_response(*self, stream, std::move(res), false);
    }

    bool keep_alive = parser.get().keep_alive();
    req.body = std::move(parser.get().body());
    auto r = co_await call_handler(*self, std::move(req));
    meter.update(0);
    reservation.release();
    stop = co_await stop_seen();
    if ((stop & cancel_type::terminal) != cancel_type::none) co_return false;
    self->served.fetch_add(1, std::memory_order_relaxed);
    keep_alive = keep_alive && stop == cancel_type::none;
    bool written = co_await write_reply(*self, stream, std::move(r), keep_alive);
    if (!written) co_return false;
    if (!keep_alive) co_return true;
  }
}

/// One connection, from the TLS handshake to the close. Never throws.
net::awaitable<void> run_session(impl_ptr self, tcp::socket socket, session_entry& entry) {
  stop_filter out_filter{&entry.phase};
  auto in_filter = net::enable_total_cancellation();
  co_await net::this_coro::reset_cancellation_state(in_filter, out_filter);
  co_await net::this_coro::throw_if_cancelled(false);
  // A stop delivered before the reset above was forgotten by it; the flag was set before.
  if (self->stop_requested.load()) co_return;
  try {
    // Polite close after the last response: TLS close_notify, or FIN.
    if (self->tls) {
      any_stream::tls_stream tls(std::move(socket), *self->tls);
      beast::get_lowest_layer(tls).expires_after(self->options.header_timeout);
      auto shake = co_await tls.async_handshake(ssl::stream_base::server, use_tuple);
      if (std::get<0>(shake)) co_return;
      any_stream stream(tls);
      if (co_await serve_requests(self, stream, entry)) {
        beast::get_lowest_layer(tls).expires_after(tls_close_timeout);
        co_await tls.async_shutdown(use_tuple);
      }
    } else {
      beast::tcp_stream plain(std::move(socket));
      any_stream stream(plain);
      if (co_await serve_requests(self, stream, entry)) {
        error_code ec;
        plain.socket().shutdown(tcp::socket::shutdown_send, ec);
      }
    }
  } catch (...) {
    // A connection's failure (e.g. bad_alloc) never takes the server down.
  }
}

// Runs on the server strand.
void start_session(impl_ptr self, tcp::socket socket) {
  auto ex = socket.get_executor();
  auto it = self->sessions.emplace(self->sessions.end(), ex);
  self->open_sessions.fetch_add(1, std::memory_order_relaxed);
  auto done = [self, it](std::exception_ptr) { net::post(self->strand, [self, it] { self->retire(it); }); };
  net::co_spawn(ex, run_session(self, std::move(socket), *it), net::bind_cancellation_slot(it->signal.slot(), done));
}

/// Accepts until the server stops or the caller cancels. Runs on the server strand.
net::awaitable<void> run_accept_loop(impl_ptr self) {
  auto pause = first_accept_pause;
  for (;;) {
    auto accepted = co_await self->acceptor.async_accept(net::make_strand(self->executor), use_tuple);
    auto& [ec, socket] = accepted;
    auto stop = co_await stop_seen();
    if (self->stopping != cancel_type::none || stop != cancel_type::none) co_return;
    if (ec) {
      self->accept_failures.fetch_add(1, std::memory_order_relaxed);
      if (!out_of_resources(ec)) continue;  // e.g. the peer gave up before accept
      // The pending connection stays in the backlog, so retrying at once would spin.
      self->backoff.expires_after(pause);
      co_await self->backoff.async_wait(use_tuple);
      pause = std::min(pause * 2, max_accept_pause);
      stop = co_await stop_seen();
      if (self->stopping != cancel_type::none || stop != cancel_type::none) co_return;
      continue;
    }
    pause = first_accept_pause;
    socket.set_option(tcp::no_delay(true), ec);
    if (self->sessions.size() >= self->options.max_connections) {
      self->shed(std::move(socket));
    } else {
      start_session(self, std::move(socket));
    }
  }
}

/// The whole server: accept, then wait for the sessions to end. Runs on the server strand.
net::awaitable<void> run_server(impl_ptr self) {
  co_await net::this_coro::throw_if_cancelled(false);
  co_await run_accept_loop(self);
  for (;;) {
    auto stop = co_await stop_seen();
    if (stop != cancel_type::none) self->begin_stop(cancel_type::terminal);
    if (self->sessions.empty()) co_return;
    co_await net::this_coro::reset_cancellation_state();
    co_await self->drained.async_receive(use_tuple);
  }
}

}  // namespace

server::server(net::any_io_executor executor, server_options options, reply_handler handler, head_check check)
    : impl_(std::make_shared<impl>(executor, std::move(options), std::move(handler), std::move(check))) {
  impl_->load_tls();
  impl_->prepare_shed_response();
  impl_->listen();
}

server::server(net::any_io_executor executor, server_options options, handler handler, head_check check)
    : server(executor, std::move(options),
             reply_handler([h = std::move(handler)](request req) -> net::awaitable<reply> {
               reply r;
               r.message = co_await h(std::move(req));
               co_return r;
             }),
             std::move(check)) {}

server::~server() = default;

std::uint16_t server::port() const noexcept { return impl_->port; }

std::string server::url() const {
  std::string host = impl_->options.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

net::awaitable<void> server::run() {
  auto self = impl_;
  co_await net::co_spawn(self->strand, run_server(self), net::use_awaitable);
}

void server::shutdown() {
  net::post(impl_->strand, [self = impl_] { self->begin_stop(cancel_type::total); });
}

void server::stop() {
  net::post(impl_->strand, [self = impl_] { self->begin_stop(cancel_type::terminal); });
}

std::uint64_t server::requests_served() const noexcept { return impl_->served.load(std::memory_order_relaxed); }

server_stats server::stats() const noexcept {
  server_stats s;
  s.requests_served = impl_->served.load(std::memory_order_relaxed);
  s.requests_refused = impl_->refused.load(std::memory_order_relaxed);
  s.requests_shed = impl_->requests_shed.load(std::memory_order_relaxed);
  s.body_reads = impl_->body_reads.load(std::memory_order_relaxed);
  s.connections_shed = impl_->connections_shed.load(std::memory_order_relaxed);
  s.timeouts = impl_->timeouts.load(std::memory_order_relaxed);
  s.accept_failures = impl_->accept_failures.load(std::memory_order_relaxed);
  s.connections = impl_->open_sessions.load(std::memory_order_relaxed);
  s.body_bytes_buffered = impl_->body_buffered.load(std::memory_order_relaxed);
  s.body_bytes_buffered_peak = impl_->body_buffered_peak.load(std::memory_order_relaxed);
  return s;
}

}  // namespace idabus::io::http
