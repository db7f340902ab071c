#pragma once
// Partition keys on the wire and their effective partition key (EPK, hash v2), used to route a
// document to the physical partition key range that holds it.
//
// EPK v2: MurmurHash3_x64_128 (seed 0) over the encoded components (string: 0x08 + UTF-8 + 0xFF;
// number: 0x05 + IEEE-754 double little-endian; true 0x03; false 0x02; null 0x01; undefined 0x00),
// printed as 32 upper-case hex digits of big-endian h2 then h1, top two bits cleared.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace idabus::io::cosmos {

/// One partition key component. std::monostate is "undefined" (sent as {}).
using pk_component = std::variant<std::monostate, std::nullptr_t, bool, double, std::string>;

/// The EPK of a (possibly hierarchical) partition key value; "" for an empty key ([]).
std::string effective_partition_key_v2(std::span<const pk_component> key);

/// Parses an x-ms-documentdb-partitionkey header: a JSON array of strings, numbers, booleans,
/// null and {} (undefined), e.g. ["a"], [5], [true], [null], [{}], []. Anything else (not an
/// array, nested arrays, non-empty objects, bad JSON) gives std::nullopt.
std::optional<std::vector<pk_component>> parse_partition_key_header(std::string_view json_array);

/// The header value for a key: a JSON array, ASCII only (non-ASCII escaped as \uXXXX, as the
/// JavaScript SDK does). Numbers use the shortest round-trip form ("5", "5.5").
std::string partition_key_header(std::span<const pk_component> key);

/// A physical range [min_inclusive, max_exclusive) of EPKs (upper-case hex strings).
struct pk_range_bounds {
  std::string min_inclusive;
  std::string max_exclusive;
};

/// True when min_inclusive <= epk < max_exclusive by string comparison; a max of "FF" is the end
/// of the key space (every EPK is below it).
bool epk_in_range(std::string_view epk, std::string_view min_inclusive, std::string_view max_exclusive);

/// MurmurHash3_x64_128 of `data`: {h1, h2}. Exposed for tests.
struct murmur128 {
  unsigned long long h1;
  unsigned long long h2;
};
murmur128 murmur3_x64_128(std::string_view data, unsigned long long seed = 0);

}  // namespace idabus::io::cosmos
