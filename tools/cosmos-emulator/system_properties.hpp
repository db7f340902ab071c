#pragma once
// system_properties: the server-owned properties of stored resources (_rid, _self, _etag, _ts,
// _attachments) and the byte-level JSON helpers that add them without re-serializing documents.
//
// splice_system_properties() keeps the client's bytes: it drops the client's own top-level
// _rid/_self/_etag/_ts/_attachments members (with their separating comma) and inserts the
// server's values before the closing brace. Every other byte — numbers, escapes, key order,
// whitespace between kept members — stays as sent. The input must already be a valid JSON object
// (the caller validates with simdjson); the scanner only tracks strings and nesting.

#include "io/json/write.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::emulator {

/// One top-level member of a JSON object: byte offsets into the object text.
struct member_span {
  std::size_t key_begin = 0;    ///< the opening quote of the key
  std::size_t key_end = 0;      ///< one past the closing quote of the key
  std::size_t value_begin = 0;  ///< first byte of the value
  std::size_t value_end = 0;    ///< one past the last byte of the value
  /// The key's raw text between the quotes (escapes not decoded).
  std::string_view key(std::string_view object) const noexcept {
    return object.substr(key_begin + 1, key_end - key_begin - 2);
  }
  std::string_view value(std::string_view object) const noexcept {
    return object.substr(value_begin, value_end - value_begin);
  }
};

/// The top-level members of `object`, or nullopt when it is not a `{...}` object
/// (leading/trailing whitespace allowed).
std::optional<std::vector<member_span>> scan_members(std::string_view object);

struct system_properties {
  std::string_view rid;   ///< e.g. "AAAAAA4AAAAAAAAAAAAAAA=="
  std::string_view self;  ///< e.g. "dbs/AAAAAA==/colls/AAAAAA4AAAA=/docs/AAAAAA4AAAAAAAAAAAAAAA==/"
  std::string_view etag;  ///< quoted, e.g. "\"00000000-0000-0000-0000-000000000001\""
  std::int64_t ts = 0;    ///< Unix seconds
};

/// The stored form of a client document. The result's capacity leaves `padding` spare bytes
/// after its size (simdjson reads documents in place). Returns nullopt if `object` is not an object.
std::optional<std::string> splice_system_properties(std::string_view object,
                                                    const system_properties& properties,
                                                    std::size_t padding = 64);

/// True for the names of the properties the server owns (_rid _self _etag _ts _attachments).
bool is_system_property(std::string_view key) noexcept;

/// A quoted etag unique for `sequence`: "\"00000000-0000-0000-hhhh-hhhhhhhhhhhh\"" (hex of it).
std::string make_etag(std::uint64_t sequence);

/// Cosmos-style resource ids: base64 of big-endian bytes with '/' replaced by '-'.
std::string database_rid(std::uint32_t database_number);
std::string collection_rid(std::uint32_t database_number, std::uint32_t collection_number);
std::string document_rid(std::uint32_t database_number, std::uint32_t collection_number,
                         std::uint64_t document_number);
std::string partition_range_rid(std::uint32_t database_number, std::uint32_t collection_number,
                                std::uint32_t range_number);
std::string offer_rid(std::uint32_t offer_number);

/// JSON string literals for the bodies the emulator composes.
using io::json::json_quote;

/// Appends the decimal text of `v` to `out`; integral values without a fraction.
void append_number(std::string& out, double v);

}  // namespace idabus::emulator
