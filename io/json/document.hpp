#pragma once
// Reading the few fields the backup and restore need (id, _ts, the partition key value) out of one
// raw JSON document, with simdjson on-demand, without ever re-serializing the document.
// One document_reader per worker: it owns a parser and a padded buffer that are reused.
// simdjson stays out of this header.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace idabus::io::json {

/// A partition key value found in a document. std::monostate means the path leads to an object
/// or an array (Cosmos treats that as "undefined").
using scalar = std::variant<std::monostate, std::nullptr_t, bool, double, std::string>;

/// Malformed JSON, or a document that is not an object. The message says what was expected and
/// where (byte offset or field); it never quotes the document.
class parse_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct document_fields {
  std::optional<std::string> id;             ///< absent when missing or not a string
  std::optional<std::int64_t> ts;            ///< `_ts`; absent when missing or not a number
  std::optional<scalar> partition_key;       ///< std::nullopt: the path is absent
};

/// Splits "/a/b" (or "a/b") into {"a", "b"}. Throws std::invalid_argument for an empty path or
/// an empty segment ("//", "/a/").
std::vector<std::string> parse_partition_key_path(std::string_view path);

class document_reader {
 public:
  /// `partition_key_path`: e.g. "/objecttype", "objecttype" or "/a/b" (see parse_partition_key_path).
  explicit document_reader(std::string_view partition_key_path);
  ~document_reader();
  document_reader(document_reader&&) noexcept;
  document_reader& operator=(document_reader&&) noexcept;

  /// Reads the fields of one JSON object. Throws parse_error when `raw_document` is not a
  /// well-formed JSON object.
  document_fields read(std::string_view raw_document);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace idabus::io::json
