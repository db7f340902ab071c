#pragma once
// document_comparison: the core of `importTool --compare`: which documents the restore files say
// a collection must hold, and how the documents actually read from it compare with that.
//
// - A document's key is its partition key value and its id (Cosmos's identity of a document).
//   Its content is its canonical JSON (io/json/canonical: members sorted by name, top-level
//   system properties — every name beginning with '_' — dropped, numbers and strings by value).
//   Both are kept as 128-bit digests (the first half of SHA-256), so memory is 32 bytes (+ 1 bit)
//   per expected document however large the document is; a collision is as likely as a SHA-256
//   collision of 128 bits (about 2^-64 for 2^32 documents).
// - expected_documents takes the restore files' documents in restore order; a later version of
//   a key replaces an earlier one (exportRaw keeps that order too), so the newest version is
//   what the collection must hold.
// - comparison::observe takes each document of the collection once: a key not expected is
//   "extra", an expected key with another content "different", an expected key seen twice
//   "repeated" (a reader fault; never equal). finish(): expected keys never observed are "missing".
//   The collection equals the restore files iff missing, extra, different and repeated are 0.
// - Examples: the first few extra/different keys as text; missing keys are only known as digests
//   (missing_sample), the caller names them by reading the restore files again.
// Not thread-safe: one comparison is fed from one executor.

#include "io/json/canonical.hpp"
#include "io/json/document.hpp"

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::import_tool {

struct digest128 {
  std::array<std::uint8_t, 16> bytes{};
  friend auto operator<=>(const digest128&, const digest128&) = default;
};

/// The first 128 bits of SHA-256 of `bytes`.
digest128 digest_of(std::string_view bytes);

/// The digest of a document's key (partition key value, with its JSON type, and id).
digest128 key_digest(const io::json::document_fields& fields);

/// A document's key for messages: `pk "Person" id "p-1"`; `pk (absent)`, `pk (undefined)` for
/// a missing or non-scalar partition key value, `id (absent)` for a missing id.
std::string key_text(const io::json::document_fields& fields);

/// Key and content digests of raw documents. One per worker (it owns a canonical_writer).
class document_digester {
 public:
  /// Throws io::json::parse_error for a malformed document.
  digest128 content_digest(std::string_view raw_document);

 private:
  io::json::canonical_writer writer_;
  std::string canonical_;
};

class expected_documents {
 public:
  /// One version of a document, in restore order.
  void add(digest128 key, digest128 content);
  /// Keeps the last version of every key; call once, after the last add().
  void seal();

  std::uint64_t versions() const noexcept { return versions_; }  ///< documents added
  std::size_t size() const noexcept { return entries_.size(); }  ///< distinct keys (after seal)

  struct entry {
    digest128 key;
    digest128 content;
  };
  /// The sealed entries, sorted by key; nullptr when `key` is not expected.
  const entry* find(const digest128& key) const;
  const std::vector<entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<entry> entries_;
  std::uint64_t versions_ = 0;
  bool sealed_ = false;
};

struct compare_counts {
  std::uint64_t expected = 0;  ///< distinct keys in the restore files
  std::uint64_t observed = 0;  ///< documents read from the collection
  std::uint64_t equal = 0;
  std::uint64_t missing = 0;    ///< expected, not in the collection
  std::uint64_t extra = 0;      ///< in the collection, not expected
  std::uint64_t different = 0;  ///< in both, other content
  std::uint64_t repeated = 0;   ///< read more than once from the collection
  bool same() const noexcept { return missing == 0 && extra == 0 && different == 0 && repeated == 0; }
};

class comparison {
 public:
  /// `expected` must be sealed. At most `max_examples` examples of each kind are kept.
  comparison(const expected_documents& expected, std::size_t max_examples);

  /// One document of the collection: its fields (for the key) and its content digest.
  void observe(const io::json::document_fields& fields, const digest128& content);

  /// The counts; missing = expected keys never observed.
  compare_counts counts() const;

  const std::vector<std::string>& extra_examples() const noexcept { return extra_examples_; }
  const std::vector<std::string>& different_examples() const noexcept { return different_examples_; }
  const std::vector<std::string>& repeated_examples() const noexcept { return repeated_examples_; }
  /// Digests of up to `max_examples` missing keys, in key-digest order.
  std::vector<digest128> missing_sample() const;

 private:
  const expected_documents& expected_;
  std::size_t max_examples_;
  std::vector<bool> seen_;  ///< per expected entry
  compare_counts counts_;
  std::vector<std::string> extra_examples_, different_examples_, repeated_examples_;
};

}  // namespace idabus::import_tool
