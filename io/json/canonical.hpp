#pragma once
// canonical_writer: one JSON document rewritten in a canonical form, so that two documents with
// the same content compare equal byte for byte however they were serialized. This is how
// `importTool --compare` defines "same content" (README, importTool --compare):
// - objects: members sorted by name (the unescaped UTF-8 bytes, compared as unsigned bytes);
//   members with equal names keep their document order; at the top level, the system properties
//   Cosmos adds are dropped: _rid, _self, _etag, _attachments, _ts, _lsn (restore files keep _ts,
//   the target has new values of all of them); any other member, "_x" included, is content;
// - arrays: in document order;
// - strings: unescaped, then written as json::append_json_string writes them ("\u00e9" and "é"
//   are the same string);
// - numbers by value: integers (int64/uint64) in decimal; other numbers that are integral and
//   within ±2^53 as integers (1.0 == 1 == 1e0); the rest in the shortest form that reads back to
//   the same double (std::to_chars);
// - true, false, null as such; no whitespace anywhere.
// One canonical_writer per worker: it owns a reused simdjson parser. simdjson stays out of this
// header. Throws parse_error for malformed JSON or a document that is not an object.

#include "io/json/document.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace idabus::io::json {

class canonical_writer {
 public:
  canonical_writer();
  ~canonical_writer();
  canonical_writer(canonical_writer&&) noexcept;
  canonical_writer& operator=(canonical_writer&&) noexcept;

  /// The canonical form of `raw_document` (see above), replacing `out`'s content.
  void write(std::string_view raw_document, std::string& out);
  std::string canonical(std::string_view raw_document);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace idabus::io::json
