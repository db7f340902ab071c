#pragma once
// continuation: the codec of the store's query continuation tokens.
// Format: "c1.<partition>.<mode>.<ts>.<seq>.<scope>.<crc>" with hex numbers; mode 's' = start of
// the partition at the query's lower _ts bound, 'a' = strictly after (ts, seq). The scope binds
// a token to its query, collection, range and logical partition; the CRC-32 detects tampering and
// truncation. Tokens carry no server state, so they survive restarts. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::emulator {

/// Where the next page of a query starts.
struct cursor {
  std::uint32_t partition = 0;
  bool after = false;    ///< true: strictly after (ts, seq); false: the partition's start at ts
  std::int64_t ts = 0;
  std::uint64_t seq = 0;

  friend bool operator==(const cursor&, const cursor&) = default;
};

/// The scope a token is bound to: the query's fingerprint, the collection's _rid, the addressed
/// range id ("*" for every range) and the canonical partition key ("" for none).
std::uint64_t continuation_scope(std::uint64_t query_fingerprint, std::string_view collection_rid,
                                 std::string_view range_id, std::string_view partition_key);

std::string encode_continuation(const cursor& position, std::uint64_t scope);

/// The cursor of `token`; nullopt when the token is malformed, modified, over 150 bytes or
/// issued for another scope.
std::optional<cursor> decode_continuation(std::string_view token, std::uint64_t scope);

}  // namespace idabus::emulator
