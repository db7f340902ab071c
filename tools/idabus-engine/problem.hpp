#pragma once
// problem: the engine's HTTP answers as values. Errors are RFC 7807 problem details
// (application/problem+json with type, title, status, detail); `type` is problem_type_base + a
// short slug ("read-only", "bad-request", ...). Pure functions, no I/O.

#include "io/http/message.hpp"

#include <string>
#include <string_view>

namespace idabus::engine {

inline constexpr std::string_view problem_type_base = "https://idabus.net/problems/";

/// An application/problem+json response. `slug` names the problem ("bad-request").
io::http::response problem(unsigned status, std::string_view slug, std::string_view title, std::string_view detail);

/// 200 (or `status`) application/json with `body` as is.
io::http::response json_response(std::string body, unsigned status = 200);

/// text/plain; charset=utf-8.
io::http::response text_response(std::string body, unsigned status = 200, std::string_view content_type = "text/plain; charset=utf-8");

/// A status without a body (204, 202 ...).
io::http::response empty_response(unsigned status);

}  // namespace idabus::engine
