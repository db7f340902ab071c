#pragma once
// URLs and percent-encoding for the HTTP client.
// - parse_url accepts absolute http/https URLs only: scheme://host[:port][/path][?query]; the
//   fragment is dropped (it is never sent). IPv6 literals go in brackets ([::1]). Default ports
//   are 80 (http) and 443 (https). User info (user@host) is rejected so that no secret ends up
//   in a log line that prints the URL.
// - Cosmos DB resource names travel percent-encoded in the URL path but are signed unescaped:
//   percent_encode_path_segment / percent_decode convert between the two.
// parse_url errors are std::invalid_argument naming the input and what was wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::io::http {

enum class url_scheme { http, https };

/// Where a client connects: scheme, host (without brackets for IPv6) and port.
struct endpoint {
  url_scheme scheme = url_scheme::http;
  std::string host;
  std::uint16_t port = 80;

  /// "host:port" ("[v6]:port" for IPv6 literals), used in error messages and logs.
  std::string authority() const;
  /// The Host header value: the host, plus ":port" when the port is not the scheme's default.
  std::string host_header() const;
  bool operator==(const endpoint&) const = default;
};

struct url {
  url_scheme scheme = url_scheme::http;
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";  ///< origin-form path and query as written (still percent-encoded)

  http::endpoint endpoint() const { return {scheme, host, port}; }
};

/// Parses "https://host:443/path?q". Throws std::invalid_argument on anything else.
url parse_url(std::string_view text);

/// Default port of a scheme: 80 or 443.
std::uint16_t default_port(url_scheme scheme) noexcept;

/// Percent-encodes every byte except the unreserved characters A-Z a-z 0-9 - . _ ~, so that the
/// result is one path segment ('/' becomes %2F). Upper-case hex digits.
std::string percent_encode_path_segment(std::string_view text);

/// Decodes %XX escapes in either hex case ('+' stays '+': path semantics). std::nullopt when a '%'
/// is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace idabus::io::http
