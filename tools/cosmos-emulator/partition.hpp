#pragma once
// partition: one physical partition of an emulated collection — its documents by identity
// (partition key value + id) and in (_ts, write sequence) order, plus its throughput bucket.
// Not thread-safe by itself: callers hold `mutex` for every member call. Documents are
// immutable once stored and shared (std::shared_ptr), so readers may keep them past the lock.

#include "tools/cosmos-emulator/throttle.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace idabus::emulator {

struct stored_document {
  std::string bytes;   ///< stored JSON (client bytes + system properties); capacity keeps padding
  std::string key;     ///< document_key(pk_key, id)
  std::string pk_key;  ///< canonical encoding of the partition key value (encode_partition_key)
  std::string epk;     ///< effective partition key (v2 hash, hex)
  std::string id;
  std::string etag;    ///< quoted
  std::uint64_t rid_number = 0;
  std::int64_t ts = 0;
  std::uint64_t seq = 0;
};

using document_ptr = std::shared_ptr<const stored_document>;

/// The identity of a document inside a collection: length-prefixed pk_key followed by the id.
std::string document_key(std::string_view pk_key, std::string_view id);

class partition {
 public:
  using order_key = std::pair<std::int64_t, std::uint64_t>;  ///< (_ts, write sequence)
  using ts_index = std::map<order_key, document_ptr>;

  partition(double ru_per_second, token_bucket::clock::time_point now) : bucket(ru_per_second, now) {}

  std::mutex mutex;
  token_bucket bucket;

  document_ptr find(std::string_view key) const;
  /// Inserts `doc`, replacing (and returning) the document with the same key, if any.
  document_ptr put(document_ptr doc);
  /// Removes and returns the document with `key` (null when absent).
  document_ptr remove(std::string_view key);

  const ts_index& by_ts() const noexcept { return by_ts_; }
  std::size_t size() const noexcept { return by_key_.size(); }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, document_ptr, key_hash, std::equal_to<>> by_key_;
  ts_index by_ts_;
  std::uint64_t bytes_ = 0;
};

}  // namespace idabus::emulator
