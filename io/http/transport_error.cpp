#include "io/http/transport_error.hpp"

namespace idabus::io::http {

std::string_view to_string(transport_error_kind kind) noexcept {
  switch (kind) {
    case transport_error_kind::connect_failed: return "connect_failed";
    case transport_error_kind::tls_failed: return "tls_failed";
    case transport_error_kind::timeout: return "timeout";
    case transport_error_kind::connection_reset: return "connection_reset";
    case transport_error_kind::response_too_large: return "response_too_large";
    case transport_error_kind::protocol_error: return "protocol_error";
    case transport_error_kind::cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace idabus::io::http
