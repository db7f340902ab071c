#pragma once
// key_ranges: the range maths of an emulated collection. Its `partitions` physical partitions
// tile the v2 effective-partition-key (EPK) space ["", "FF") evenly; boundaries are uppercase
// hex, range ids "0".."N-1". v2 EPKs have their top two bits cleared, so hashes lie in
// [00.., 40..); the interior boundaries split that space evenly (the outer ones are "" and "FF").
// Also the canonical, exact encoding of a partition key value (the identity half of a document
// key). Pure functions; thread-safe.

#include "io/cosmos/epk.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::emulator {

/// The lower boundary of range `index` of `partitions`: "" for 0, "FF" for index >= partitions,
/// otherwise 16 uppercase hex digits.
std::string range_boundary(std::uint32_t index, std::uint32_t partitions);

/// The index of the range holding `epk` (hex; only its first 16 digits count), in [0, partitions).
std::uint32_t range_of(std::string_view epk, std::uint32_t partitions);

/// An exact, canonical byte encoding of a partition key value: equal values (-0 == 0) encode
/// equally, different values (types included) differently.
std::string encode_partition_key(const std::vector<io::cosmos::pk_component>& key);

}  // namespace idabus::emulator
