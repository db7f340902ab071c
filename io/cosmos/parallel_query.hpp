#pragma once
// query_all_ranges: runs one query over every physical partition key range of a collection in
// parallel, one continuation per range, and hands every page (raw documents) to a sink.
//
// - Scheduling: ranges wait in a round-robin queue; each of up to max_concurrency workers takes
//   the next range, reads one page, hands it to the sink and puts the range back at the end of the
//   queue (when it has a continuation). So all ranges progress together and load spreads across
//   partitions, never range by range. One request per range is in flight at a time.
//   A worker that finds the queue empty ends; so after a split late in the query, the children
//   may be read by fewer workers than max_concurrency.
// - Order: pages of one range reach the sink in order; pages of different ranges interleave, and
//   sink calls of different workers may overlap (each worker awaits its own call; a slow sink
//   slows the query down: that is the backpressure).
// - Splits: a range answering 410 with substatus 1002/1007/1008 is re-resolved from /pkranges;
//   its children continue from the parent's continuation token (byte for byte), so no page is
//   lost or repeated. A range re-resolved more than retry_options::max_range_refreshes times fails.
// - Work left (optional, parallel_query_options::count_query): a worker first counts the
//   documents of a range it has not read yet (the count query on that range, its pages summed),
//   then tells the client's gate the RU the range still needs (request_gate::work_left): the
//   documents left × the range's mean charge per document so far (before its first page, the
//   query's mean; before any page, 1 RU). Again after each page, and 0 after its last one. A
//   range with a continuation is never reported as needing less than its last page. Children of
//   a split are not counted (the gate runs them at their share). Count pages go to no sink;
//   their charge is in stats.request_charge.
// - Ends when every range has no continuation left. Throws the first failure (cosmos_error,
//   transport_error, parse_error, or whatever the sink threw) in completion order; the other
//   workers are cancelled. Cancellation of the caller cancels every worker.

#include "io/cosmos/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

namespace idabus::io::cosmos {

struct parallel_query_options {
  std::size_t max_concurrency = 8;  ///< workers (>= 1); more than the range count is useless
  /// `SELECT VALUE COUNT(1) FROM c` with the query's filter: counts each range first and reports
  /// the work left to the gate (see above). Unset: nothing is counted or reported.
  std::optional<query_spec> count_query;
};

struct parallel_query_stats {
  std::uint64_t pages = 0;
  std::uint64_t documents = 0;
  double request_charge = 0;
  std::uint64_t ranges = 0;         ///< ranges read at the start
  std::uint64_t range_refreshes = 0;  ///< 410 re-resolutions (splits)
  std::uint64_t counted = 0;        ///< documents the count query found (count_query only)
};

using page_sink = std::function<net::awaitable<void>(query_page)>;

/// `request` names the database, collection, query, partition key path and page size; its
/// range_id and continuation are ignored (every range starts at its beginning).
net::awaitable<parallel_query_stats> query_all_ranges(client& cosmos, page_request request,
                                                      parallel_query_options options, page_sink sink);

/// The ranges of `fresh` that overlap [min_inclusive, max_exclusive) ("FF" is the end).
std::vector<pk_range> overlapping_ranges(const std::vector<pk_range>& fresh, std::string_view min_inclusive,
                                         std::string_view max_exclusive);

}  // namespace idabus::io::cosmos
