#include "io/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <exception>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace idabus::io::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// What the server may ask of a live connection; always invoked through post() on its strand.
struct connection_base {
  virtual ~connection_base() = default;
  /// Close now if idle; otherwise close after the response in flight.
  virtual void stop_gracefully() = 0;
  /// Close at once, whatever is in flight.
  virtual void close_now() = 0;
};

template <class Stream>
struct connection final : connection_base, std::enable_shared_from_this<connection<Stream>> {
  template <class... Args>
  explicit connection(Args&&... args) : stream(std::forward<Args>(args)...) {}

  Stream stream;
  bool busy = false;     // a request was read and its response is not written yet
  bool closing = false;  // the server shuts down: no further requests

  tcp::socket& socket() { return beast::get_lowest_layer(stream).socket(); }

  void close_socket() {
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
  }

  void stop_gracefully() override {
    net::post(stream.get_executor(), [self = this->shared_from_this()] {
      self->closing = true;
      if (!self->busy) self->close_socket();
    });
  }

  void close_now() override {
    net::post(stream.get_executor(), [self = this->shared_from_this()] { self->close_socket(); });
  }
};

request to_request(bhttp::request<bhttp::string_body>&& msg) {
  request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.headers.reserve(16);
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(msg.body());
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
  std::string body = "{\"code\":\"";
  body += code;
  body += "\",\"message\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) body += c;
  }
  body += "\"}";
  res.body = std::move(body);
  return res;
}

}  // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(net::any_io_executor ex, server_options opts, reply_handler h)
      : executor(ex), strand(net::make_strand(ex)), options(std::move(opts)), handler(std::move(h)),
        acceptor(strand), drained(strand) {}

  net::any_io_executor executor;
  net::strand<net::any_io_executor> strand;  // guards acceptor, connections, stopping
  server_options options;
  reply_handler handler;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  net::steady_timer drained;  // cancelled when the last connection ends during shutdown
  std::optional<net::steady_timer> grace;
  std::uint16_t port = 0;
  bool stopping = false;
  std::unordered_map<connection_base*, std::weak_ptr<connection_base>> connections;
  std::atomic<std::uint64_t> served{0};

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

  // Runs on `strand`.
  void begin_shutdown() {
    if (stopping) return;
    stopping = true;
    error_code ec;
    acceptor.close(ec);
    for (auto& [key, weak] : connections) {
      if (auto c = weak.lock()) c->stop_gracefully();
    }
    if (connections.empty()) {
      drained.cancel();
      return;
    }
    grace.emplace(strand, options.shutdown_grace);
    grace->async_wait([self = shared_from_this()](error_code wait_ec) {
      if (wait_ec) return;
      for (auto& [key, weak] : self->connections) {
        if (auto c = weak.lock()) c->close_now();
      }
    });
  }

  // Runs on `strand`.
  void close_all_now() {
    stopping = true;
    error_code ec;
    acceptor.close(ec);
    for (auto& [key, weak] : connections) {
      if (auto c = weak.lock()) c->close_now();
    }
  }

  void connection_ended(connection_base* key) {
    net::post(strand, [self = shared_from_this(), key] {
      self->connections.erase(key);
      if (self->connections.empty() && self->stopping) {
        self->drained.cancel();
        if (self->grace) self->grace->cancel();
      }
    });
  }

  template <class Stream>
  net::awaitable<void> write_reply(connection<Stream>& c, reply& r, bool keep_alive) {
    auto& lowest = beast::get_lowest_layer(c.stream);
    if (r.delay.count() > 0) {
      net::steady_timer timer(c.stream.get_executor(), r.delay);
      co_await timer.async_wait(use_tuple);
    }
    if (r.how == delivery::reset_mid_body) {
      std::string body = std::move(r.message.body);
      std::size_t half = body.size() / 2;
      // Announce the full length so the client sees a truncated message, not a short one.
      auto res = to_beast(std::move(r.message), true);
      res.content_length(body.size());
      bhttp::response_serializer<bhttp::string_body> serializer(res);
      lowest.expires_after(options.io_timeout);
      co_await bhttp::async_write_header(c.stream, serializer, use_tuple);
      if (half > 0) {
        auto part = net::buffer(body.data(), half);
        co_await net::async_write(c.stream, part, use_tuple);
      }
      error_code ec;
      c.socket().set_option(net::socket_base::linger(true, 0), ec);
      c.socket().close(ec);
      co_return;
    }
    auto res = to_beast(std::move(r.message), keep_alive);
    lowest.expires_after(options.io_timeout);
    auto written = co_await bhttp::async_write(c.stream, res, use_tuple);
    if (std::get<0>(written)) c.closing = true;
  }

  template <class Stream>
  net::awaitable<void> serve(std::shared_ptr<connection<Stream>> c) {
    auto& lowest = beast::get_lowest_layer(c->stream);
    beast::flat_buffer buffer;
    for (;;) {
      if (c->closing) break;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(64 * 1024);
      lowest.expires_after(options.idle_timeout);
      auto header_read = co_await bhttp::async_read_header(c->stream, buffer, parser, use_tuple);
      error_code ec = std::get<0>(header_read);
      if (!ec && parser.get()[bhttp::field::expect] == "100-continue") {
        bhttp::response<bhttp::empty_body> cont;
        cont.version(11);
        cont.result(bhttp::status::continue_);
        lowest.expires_after(options.io_timeout);
        co_await bhttp::async_write(c->stream, cont, use_tuple);
      }
      if (!ec) {
        lowest.expires_after(options.io_timeout);
        auto body_read = co_await bhttp::async_read(c->stream, buffer, parser, use_tuple);
        ec = std::get<0>(body_read);
      }
      if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
          ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset ||
          ec == net::error::bad_descriptor || c->closing) {
        break;
      }
      if (ec) {
        // Protocol errors get an answer before the connection closes.
        reply r;
        if (ec == bhttp::error::body_limit) {
          r.message = plain_error(413, "RequestEntityTooLarge",
                                  "request body exceeds the limit of " + std::to_string(options.body_limit) +
                                      " bytes");
        } else {
          r.message = plain_error(400, "BadRequest", "malformed HTTP request: " + ec.message());
        }
        c->busy = true;
        co_await write_reply(*c, r, false);
        break;
      }

      c->busy = true;
      auto msg = parser.release();
      bool keep_alive = msg.keep_alive();
      request req = to_request(std::move(msg));
      reply r;
      std::string failure;
      bool failed = false;
      try {
        r = co_await handler(std::move(req));
      } catch (const std::exception& e) {
        failed = true;
        failure = e.what();
      } catch (...) {
        failed = true;
        failure = "unknown error";
      }
      if (failed) {
        reply err;
        err.message = plain_error(500, "InternalServerError", "internal server error: " + failure);
        r = std::move(err);
      }
      served.fetch_add(1, std::memory_order_relaxed);
      bool reset = r.how == delivery::reset_mid_body;
      co_await write_reply(*c, r, keep_alive && !c->closing);
      c->busy = false;
      if (reset || !keep_alive || c->closing) break;
    }
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (c->socket().is_open() && !c->closing) {
        lowest.expires_after(std::chrono::seconds(2));
        co_await c->stream.async_shutdown(use_tuple);
      }
    }
    c->close_socket();
  }

  template <class Stream>
  void start(std::shared_ptr<connection<Stream>> c) {
    connections.emplace(c.get(), std::weak_ptr<connection_base>(c));
    auto ex = c->stream.get_executor();
    net::co_spawn(ex, run_connection(std::move(c)), net::detached);
  }

  template <class Stream>
  net::awaitable<void> run_connection(std::shared_ptr<connection<Stream>> c) {
    auto self = shared_from_this();
    try {
      if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        beast::get_lowest_layer(c->stream).expires_after(options.io_timeout);
        auto hs = co_await c->stream.async_handshake(ssl::stream_base::server, use_tuple);
        if (!std::get<0>(hs)) co_await serve(c);
      } else {
        co_await serve(c);
      }
    } catch (...) {
      // A connection's failure never takes the server down.
    }
    c->close_socket();
    connection_ended(c.get());
  }

  // Runs on `strand`.
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto accepted = co_await acceptor.async_accept(net::make_strand(executor), use_tuple);
      auto& [ec, socket] = accepted;
      auto cs = co_await net::this_coro::cancellation_state;
      if (cs.cancelled() != net::cancellation_type::none) {
        close_all_now();
        co_return;
      }
      if (ec) {
        if (stopping || !acceptor.is_open()) break;
        continue;  // e.g. the peer gave up before accept; keep serving
      }
      if (stopping) break;
      socket.set_option(tcp::no_delay(true), ec);
      if (tls) {
        start(std::make_shared<connection<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), *tls));
      } else {
        start(std::make_shared<connection<beast::tcp_stream>>(std::move(socket)));
      }
    }
    while (!connections.empty()) {
      drained.expires_at(net::steady_timer::time_point::max());
      co_await drained.async_wait(use_tuple);
      auto cs = co_await net::this_coro::cancellation_state;
      if (cs.cancelled() != net::cancellation_type::none) {
        close_all_now();
        co_return;
      }
    }
  }
};

server::server(net::any_io_executor executor, server_options options, reply_handler handler)
    : impl_(std::make_shared<impl>(executor, std::move(options), std::move(handler))) {
  impl_->load_tls();
  impl_->listen();
}

server::server(net::any_io_executor executor, server_options options, handler handler)
    : server(executor, std::move(options),
             reply_handler([h = std::move(handler)](request req) -> net::awaitable<reply> {
               reply r;
               r.message = co_await h(std::move(req));
               co_return r;
             })) {}

server::~server() = default;

std::uint16_t server::port() const noexcept { return impl_->port; }

std::string server::url() const {
  std::string host = impl_->options.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

net::awaitable<void> server::run() {
  auto self = impl_;
  co_await net::co_spawn(self->strand, self->accept_loop(), net::use_awaitable);
}

void server::shutdown() {
  net::post(impl_->strand, [self = impl_] { self->begin_shutdown(); });
}

std::uint64_t server::requests_served() const noexcept { return impl_->served.load(std::memory_order_relaxed); }

}  // namespace idabus::io::http
