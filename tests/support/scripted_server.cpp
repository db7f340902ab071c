#include "support/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace idabus::test {

namespace {

namespace beast = boost::beast;
using tcp = net::ip::tcp;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct session_base {
  virtual ~session_base() = default;
  virtual void force_close() = 0;
};

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

[[noreturn]] void openssl_failed(const char* step) {
  throw std::runtime_error(std::string("make_self_signed_certificate: ") + step + " failed");
}

std::string response_head(const reply& r, std::size_t body_size) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " ";
  head += std::string(beast::http::obsolete_reason(static_cast<beast::http::status>(r.status)));
  head += "\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  if (r.chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (!io::http::has_header(r.headers, "content-length")) {
    head += "Content-Length: " + std::to_string(body_size) + "\r\n";
  }
  head += "\r\n";
  return head;
}

std::string chunked_body(const std::string& body, std::size_t chunk_size) {
  std::string out;
  chunk_size = std::max<std::size_t>(chunk_size, 1);
  for (std::size_t pos = 0; pos < body.size(); pos += chunk_size) {
    const std::size_t n = std::min(chunk_size, body.size() - pos);
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    out += size_line;
    out.append(body, pos, n);
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

}  // namespace

// ---- reply builders ----

reply reply::ok(std::string body) { return with_status(200, std::move(body)); }

reply reply::with_status(unsigned status, std::string body) {
  reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

reply reply::reset_mid_body_of(std::string body) {
  reply r = ok(std::move(body));
  r.then = ending::reset_mid_body;
  return r;
}

reply reply::close_without_response() {
  reply r;
  r.then = ending::close_without_response;
  return r;
}

reply reply::header(std::string name, std::string value) const {
  reply r = *this;
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

reply reply::as_chunked(std::size_t size) const {
  reply r = *this;
  r.chunked = true;
  r.chunk_size = size;
  return r;
}

reply reply::after(std::chrono::milliseconds d) const {
  reply r = *this;
  r.delay = d;
  return r;
}

reply reply::then_close() const {
  reply r = *this;
  r.then = ending::close;
  return r;
}

// ---- certificate ----

test_certificate make_self_signed_certificate(const std::string& common_name, const std::string& subject_alt_names) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  if (!key) openssl_failed("EC P-256 key generation");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!cert) openssl_failed("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str());
  if (!san) openssl_failed("subjectAltName extension");
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);

  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) openssl_failed("X509_sign");

  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!cert_bio || !key_bio) openssl_failed("BIO_new");
  if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) openssl_failed("PEM_write_bio_X509");
  if (PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    openssl_failed("PEM_write_bio_PrivateKey");
  }
  return test_certificate{bio_to_string(cert_bio.get()), bio_to_string(key_bio.get())};
}

// ---- server ----

struct scripted_server::state {
  explicit state(net::any_io_executor ex) : executor(ex), acceptor(ex) {}

  net::any_io_executor executor;
  tcp::acceptor acceptor;
  std::unique_ptr<net::ssl::context> tls;
  std::string certificate_pem;
  std::vector<reply> script;
  std::size_t next = 0;
  handler respond;
  std::vector<recorded_request> requests;
  std::size_t accepted = 0;
  std::size_t open = 0;
  std::size_t max_open = 0;
  bool stopped = false;
  std::uint16_t port = 0;
  std::vector<std::weak_ptr<session_base>> sessions;

  reply next_reply(const recorded_request& req) {
    if (respond) return respond(req);
    if (next < script.size()) return script[next++];
    return reply::with_status(500, "scripted_server: the script has no reply left for request #" +
                                       std::to_string(requests.size()) + " (" + req.method + " " + req.target +
                                       ")");
  }
};

namespace {

template <class Stream>
struct session final : session_base {
  template <class... Args>
  explicit session(net::any_io_executor ex, Args&&... args) : stream(std::forward<Args>(args)...), timer(ex) {}

  void force_close() override {
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
    timer.cancel();
  }

  Stream stream;
  net::steady_timer timer;
  std::size_t index = 0;
};

template <class Stream>
net::awaitable<void> serve(std::shared_ptr<scripted_server::state> st, std::shared_ptr<session<Stream>> s) {
  struct open_guard {
    scripted_server::state& st;
    ~open_guard() { --st.open; }
  } guard{*st};

  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    auto hs = co_await s->stream.async_handshake(net::ssl::stream_base::server, use_tuple);
    if (std::get<0>(hs)) co_return;
  }

  beast::flat_buffer buffer;
  for (;;) {
    beast::http::request_parser<beast::http::string_body> parser;
    parser.body_limit(256u * 1024 * 1024);
    auto read = co_await beast::http::async_read(s->stream, buffer, parser, use_tuple);
    if (std::get<0>(read) || st->stopped) co_return;

    const auto& msg = parser.get();
    recorded_request rec;
    rec.method = std::string(msg.method_string());
    rec.target = std::string(msg.target());
    for (const auto& field : msg) rec.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    rec.body = msg.body();
    rec.connection = s->index;
    const bool client_keeps_alive = msg.keep_alive();
    st->requests.push_back(rec);
    const reply rep = st->next_reply(st->requests.back());

    if (rep.delay.count() > 0) {
      s->timer.expires_after(rep.delay);
      co_await s->timer.async_wait(use_tuple);
      if (st->stopped) co_return;
    }

    if (rep.then == reply::ending::close_without_response) {
      s->force_close();
      co_return;
    }

    std::string out = response_head(rep, rep.body.size());
    if (rep.then == reply::ending::reset_mid_body) {
      out.append(rep.body, 0, rep.body.size() / 2);
      co_await net::async_write(s->stream, net::buffer(out), use_tuple);
      boost::system::error_code ignored;
      s->stream.lowest_layer().set_option(tcp::socket::linger(true, 0), ignored);
      s->force_close();
      co_return;
    }

    if (rep.chunked) {
      out += chunked_body(rep.body, rep.chunk_size);
    } else {
      out += rep.body;
    }
    auto written = co_await net::async_write(s->stream, net::buffer(out), use_tuple);
    if (std::get<0>(written)) co_return;

    if (rep.then == reply::ending::close || !client_keeps_alive) {
      boost::system::error_code ignored;
      s->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
      s->force_close();
      co_return;
    }
  }
}

net::awaitable<void> accept_loop(std::shared_ptr<scripted_server::state> st) {
  for (;;) {
    auto accepted = co_await st->acceptor.async_accept(use_tuple);
    auto& [ec, socket] = accepted;
    if (ec || st->stopped) co_return;
    const std::size_t index = st->accepted++;
    ++st->open;
    st->max_open = std::max(st->max_open, st->open);
    std::erase_if(st->sessions, [](const auto& w) { return w.expired(); });
    if (st->tls) {
      using stream_t = net::ssl::stream<tcp::socket>;
      auto s = std::make_shared<session<stream_t>>(st->executor, std::move(socket), *st->tls);
      s->index = index;
      st->sessions.push_back(s);
      net::co_spawn(st->executor, serve<stream_t>(st, s), net::detached);
    } else {
      auto s = std::make_shared<session<tcp::socket>>(st->executor, std::move(socket));
      s->index = index;
      st->sessions.push_back(s);
      net::co_spawn(st->executor, serve<tcp::socket>(st, s), net::detached);
    }
  }
}

}  // namespace

scripted_server::scripted_server(net::any_io_executor executor, std::vector<reply> script,
                                 scripted_server_options options)
    : state_(std::make_shared<state>(executor)) {
  state_->script = std::move(script);
  if (options.tls) {
    auto cert = options.certificate.certificate_pem.empty() ? make_self_signed_certificate() : options.certificate;
    state_->tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    state_->tls->use_certificate_chain(net::buffer(cert.certificate_pem));
    state_->tls->use_private_key(net::buffer(cert.private_key_pem), net::ssl::context::pem);
    state_->certificate_pem = std::move(cert.certificate_pem);
  }
  const tcp::endpoint local(net::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(local.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(local);
  state_->acceptor.listen();
  state_->port = state_->acceptor.local_endpoint().port();
  net::co_spawn(executor, accept_loop(state_), net::detached);
}

scripted_server::scripted_server(net::any_io_executor executor, handler respond, scripted_server_options options)
    : scripted_server(executor, std::vector<reply>{}, options) {
  state_->respond = std::move(respond);
}

scripted_server::~scripted_server() { stop(); }

void scripted_server::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (auto& weak : state_->sessions) {
    if (auto s = weak.lock()) s->force_close();
  }
  state_->sessions.clear();
}

std::uint16_t scripted_server::port() const noexcept { return state_->port; }

std::string scripted_server::url() const {
  return std::string(state_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

const std::string& scripted_server::certificate_pem() const noexcept { return state_->certificate_pem; }

const std::vector<recorded_request>& scripted_server::requests() const noexcept { return state_->requests; }

std::size_t scripted_server::connections_accepted() const noexcept { return state_->accepted; }

std::size_t scripted_server::open_connections() const noexcept { return state_->open; }

std::size_t scripted_server::max_open_connections() const noexcept { return state_->max_open; }

}  // namespace idabus::test
