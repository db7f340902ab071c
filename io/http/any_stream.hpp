#pragma once
// any_stream: one HTTP connection, plain TCP or TLS, behind one stream type, so that Beast's HTTP
// operations and the coroutines built on them (client.cpp, server.cpp) are compiled once instead
// of once per stream type (the TLS copies were about half of the build time of both files).
// - A view: it borrows a beast::tcp_stream or a TLS stream over one, which must outlive it.
// - async_read_some reads into the first non-empty buffer of the sequence; async_write_some
//   sends up to `max_write_buffers` buffers of it, as many as Asio passes to one writev() anyway,
//   so a request's head and body still leave in one system call. Both may transfer fewer bytes
//   than offered, as every "some" operation may; Beast's and Asio's composed reads and writes loop.
// - lowest() is the TCP layer: its timeouts (expires_after) and its socket.
// - Cancellation and executors: each operation hands its handler, type-erased, to the underlying
//   stream together with the handler's associated cancellation slot and executor, so it is
//   cancelled and completes as it would on the stream itself.
// Internal to io/http: it brings Beast with it, so only io/http's .cpp files include it.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <utility>

namespace idabus::io::http {

namespace net = boost::asio;

class any_stream {
 public:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using executor_type = boost::beast::tcp_stream::executor_type;
  using io_handler = net::any_completion_handler<void(boost::system::error_code, std::size_t)>;
  static constexpr std::size_t max_write_buffers = 64;  // Asio's buffer_sequence_adapter::max_buffers
  using write_buffers = std::array<net::const_buffer, max_write_buffers>;

  explicit any_stream(boost::beast::tcp_stream& plain) noexcept : tcp_(&plain) {}
  explicit any_stream(tls_stream& tls) noexcept : tcp_(&boost::beast::get_lowest_layer(tls)), tls_(&tls) {}

  executor_type get_executor() noexcept { return tcp_->get_executor(); }
  boost::beast::tcp_stream& lowest() noexcept { return *tcp_; }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    net::mutable_buffer first;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
      first = *it;
      if (first.size() > 0) break;
    }
    return net::async_initiate<ReadToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, net::mutable_buffer b) {
          net::any_io_executor ex = net::get_associated_executor(handler, get_executor());
          read_some(b, std::move(ex), io_handler(std::move(handler)));
        },
        token, first);
  }

  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    write_buffers some{};
    std::size_t n = 0;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && n < some.size();
         ++it) {
      net::const_buffer b = *it;
      if (b.size() > 0) some[n++] = b;
    }
    return net::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const write_buffers& b) {
          net::any_io_executor ex = net::get_associated_executor(handler, get_executor());
          write_some(b, std::move(ex), io_handler(std::move(handler)));
        },
        token, some);
  }

 private:
  // `executor` is the handler's associated executor. It travels next to the erased handler because
  // the executor an any_completion_handler reports (any_completion_executor) cannot be required
  // to be blocking.never in Boost 1.81, which Beast's tcp_stream operations need.
  void read_some(net::mutable_buffer buffer, net::any_io_executor executor, io_handler handler);
  void write_some(const write_buffers& buffers, net::any_io_executor executor, io_handler handler);

  boost::beast::tcp_stream* tcp_;
  tls_stream* tls_ = nullptr;
};

}  // namespace idabus::io::http
