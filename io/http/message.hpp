#pragma once
// Beast-free HTTP messages shared by the client and the server in io/http, so that widely
// included headers (Cosmos client, emulator routes) never pull in Beast.
// Header names compare case-insensitively; the first matching header wins on lookup.

#include "io/http/body_pool.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace idabus::io::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive comparison of header names (boost::algorithm::iequals in the classic locale).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// The value of the first header called `name`, or an empty view when absent.
std::string_view find_header(const header_list& headers, std::string_view name) noexcept;

/// True when a header called `name` is present (even with an empty value).
bool has_header(const header_list& headers, std::string_view name) noexcept;

/// Replaces every header called `name` by one with `value`.
void set_header(header_list& headers, std::string_view name, std::string value);

struct request {
  std::string method;  ///< "GET", "POST", ... (upper case)
  std::string target;  ///< origin-form: path and query, percent-encoded as on the wire
  header_list headers;
  std::string body;
  /// The caller asserts that sending this request twice has the same effect as sending it once
  /// (e.g. a Cosmos upsert or query POST). GET, HEAD, OPTIONS, PUT and DELETE are idempotent by
  /// method anyway. The HTTP client resends only idempotent requests (see client.hpp).
  bool idempotent = false;
  /// Client only: read the response body into a buffer from the client's body pool
  /// (response::pooled_body) instead of response::body. See client.hpp.
  bool pooled_body = false;

  std::string_view header(std::string_view name) const noexcept { return find_header(headers, name); }
};

struct response {
  unsigned status = 200;
  header_list headers;
  std::string body;  ///< the body, unless the request asked for pooled_body (then empty)
  /// Client only: the body of a request with pooled_body set; it returns to the client's pool when
  /// destroyed. A server sends `body` and ignores this.
  body_buffer pooled_body;

  std::string_view header(std::string_view name) const noexcept { return find_header(headers, name); }
  /// The body wherever it is (body or pooled_body).
  std::string_view body_view() const noexcept { return pooled_body.empty() ? std::string_view(body) : pooled_body.view(); }
};

}  // namespace idabus::io::http
