#pragma once
// Partition key ranges (GET .../pkranges) and routing by effective partition key (EPK): which
// physical range holds a document. Pure functions.

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::cosmos {

struct pk_range {
  std::string id;  ///< a string even when the server sent a number
  std::string min_inclusive;
  std::string max_exclusive;
  std::vector<std::string> parents;
};

/// Parses a /pkranges body (ids may be strings or numbers), sorted by min_inclusive. Throws
/// json::parse_error.
std::vector<pk_range> parse_partition_key_ranges(std::string_view body);

/// The range holding `epk`; nullptr when none does.
const pk_range* range_for_epk(const std::vector<pk_range>& ranges, std::string_view epk);

/// Groups `indexes` (into `epks`) by the id of the range holding each EPK, keeping their order
/// inside each group. Throws std::out_of_range naming an EPK no range holds.
std::map<std::string, std::vector<std::size_t>> group_by_range(const std::vector<pk_range>& ranges,
                                                               std::span<const std::string> epks,
                                                               std::span<const std::size_t> indexes);

}  // namespace idabus::io::cosmos
