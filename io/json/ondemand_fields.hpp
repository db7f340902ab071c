#pragma once
// Internal to io/json (included by document.cpp and page.cpp only; it pulls in simdjson):
// reads id, _ts and the partition key value from an on-demand object in one pass over its fields.

#include "io/json/document.hpp"

#include <simdjson.h>

#include <span>
#include <string>

namespace idabus::io::json::detail {

/// Reads the scalar at `path` below `value` (path empty: `value` itself).
/// Returns std::nullopt when the path is absent. Throws parse_error on malformed JSON.
std::optional<scalar> read_path(simdjson::ondemand::value value, std::span<const std::string> path);

/// Reads the fields of `object`, iterating it once. Throws parse_error on malformed JSON.
document_fields read_fields(simdjson::ondemand::object& object, std::span<const std::string> pk_path);

/// Throws parse_error naming `what` when the document has bytes after its root value.
void expect_end(simdjson::ondemand::document& doc, std::string_view what);

/// Throws parse_error with `what` and simdjson's description of `error`.
[[noreturn]] void fail(std::string_view what, simdjson::error_code error);

}  // namespace idabus::io::json::detail
