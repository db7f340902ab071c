#pragma once
// Splitting a Cosmos query/feed page body {"_rid":..., "Documents":[...], "_count":N} — or a bare
// JSON array of documents (restore files) — into the exact raw bytes of each document, plus the
// fields the pipeline needs (id, _ts, partition key). Documents are never re-serialized: numbers,
// escapes, unicode and key order survive byte for byte.
// One page_reader per worker (it owns a reused parser and padded buffer). simdjson stays out of
// this header.

#include "io/json/document.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::json {

struct page_document {
  std::string_view raw;    ///< view into the caller's body: valid while the body lives
  document_fields fields;  ///< empty for non-object entries (SELECT VALUE 5)
};

struct page {
  std::vector<page_document> documents;
  std::optional<std::int64_t> count;  ///< `_count` when present
};

class page_reader {
 public:
  explicit page_reader(std::string_view partition_key_path);
  ~page_reader();
  page_reader(page_reader&&) noexcept;
  page_reader& operator=(page_reader&&) noexcept;

  /// Splits a page body. The raw views point into `body`. Throws parse_error for malformed JSON,
  /// a body that is not an object, a missing or non-array "Documents", or `_count` disagreeing
  /// with the number of documents.
  page split(std::string_view body);

  /// As split(), parsing `body` where it lies when its spare capacity holds the parser's padding
  /// (64 bytes; the HTTP client leaves that much past every response body), else from a padded
  /// copy as split() does. Saves copying every page body once more.
  page split_in_place(const std::string& body);
  /// The same for a body of `capacity` bytes of storage starting at body.data() (>= body.size()).
  page split_in_place(std::string_view body, std::size_t capacity);

  /// Body bytes copied into the reader's padded buffer so far (split(), split_array(), and
  /// split_in_place() of a body without spare capacity).
  std::uint64_t copied_bytes() const noexcept;

  /// Splits a top-level JSON array of documents (a restore file). Throws parse_error.
  std::vector<page_document> split_array(std::string_view body);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace idabus::io::json
