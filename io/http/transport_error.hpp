#pragma once
// transport_error: every failure of the HTTP client below the HTTP status level.
// The kind tells a caller (the Cosmos client's retry policy) what may have happened on the server:
//   connect_failed      TCP connect (or name resolution, or connect timeout) failed: the request
//                       was never sent; always safe to retry.
//   tls_failed          TLS handshake or certificate verification failed (also mid-stream TLS
//                       errors); a handshake failure means the request was never sent. Retrying
//                       a verification failure will not help.
//   timeout             the per-request timeout passed while sending or waiting for the response;
//                       the server may have executed the request.
//   connection_reset    the connection was closed or reset after the request was (partly) sent,
//                       or during the response; the server may have executed the request.
//   response_too_large  the response headers or body exceeded client_options::max_response_bytes.
//   protocol_error      the server sent something that is not valid HTTP/1.1.
//   cancelled           the awaiting coroutine was cancelled; code() is operation_aborted, so code
//                       that checks for net::error::operation_aborted sees cancellation as usual.
// It derives from boost::system::system_error: code() is the underlying cause, what() is
// "<host:port>: <what happened>: <cause>". No request headers (no secrets) are ever included.

#include <boost/system/system_error.hpp>

#include <string>
#include <string_view>

namespace idabus::io::http {

enum class transport_error_kind {
  connect_failed,
  tls_failed,
  timeout,
  connection_reset,
  response_too_large,
  protocol_error,
  cancelled,
};

/// "connect_failed", "timeout", ...
std::string_view to_string(transport_error_kind kind) noexcept;

class transport_error : public boost::system::system_error {
 public:
  transport_error(transport_error_kind kind, boost::system::error_code cause, const std::string& message)
      : boost::system::system_error(cause, message), kind_(kind) {}

  transport_error_kind kind() const noexcept { return kind_; }

 private:
  transport_error_kind kind_;
};

}  // namespace idabus::io::http
