#include "io/http/any_stream.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

namespace idabus::io::http {

namespace {

/// An erased handler with its executor and cancellation slot, as the underlying streams see it.
struct bound_handler {
  using executor_type = net::any_io_executor;
  using cancellation_slot_type = net::cancellation_slot;

  executor_type get_executor() const noexcept { return executor; }
  cancellation_slot_type get_cancellation_slot() const noexcept { return net::get_associated_cancellation_slot(handler); }
  void operator()(boost::system::error_code ec, std::size_t bytes) { std::move(handler)(ec, bytes); }

  net::any_io_executor executor;
  any_stream::io_handler handler;
};

}  // namespace

void any_stream::read_some(net::mutable_buffer buffer, net::any_io_executor executor, io_handler handler) {
  bound_handler h{std::move(executor), std::move(handler)};
  if (tls_) {
    tls_->async_read_some(buffer, std::move(h));
  } else {
    tcp_->async_read_some(buffer, std::move(h));
  }
}

void any_stream::write_some(const write_buffers& buffers, net::any_io_executor executor, io_handler handler) {
  bound_handler h{std::move(executor), std::move(handler)};
  if (tls_) {
    tls_->async_write_some(buffers, std::move(h));
  } else {
    tcp_->async_write_some(buffers, std::move(h));
  }
}

}  // namespace idabus::io::http
