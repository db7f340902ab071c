#pragma once
// deletes: the tombstones of an incremental backup (issue 10), read from the engine's own delete
// request events (DESIGN §5: eventType "Request", operation "Delete", target {id, objecttype}),
// which the write surface stores in Events after each successful DELETE of a Resource.
// - delete_events_query: those events with `_ts >= min_ts` (the caller passes the same inclusive,
//   margin-widened bound as the incremental's document query), projected to id/target/createdTime.
// - tombstone_of_event: one projected event as a tombstone (partition key = target.objecttype, the
//   Resources key; deletedTime = createdTime).
// - read_deletes: runs the query over every partition key range of Events (query_all_ranges) on
//   the borrowed client, so its gate (the backup's RU budget) paces it; tombstones ordered by
//   (deletedTime, eventId). Meant to run while writes are blocked (after the delta pass), so it
//   sees every delete up to the consistency point.
// Deletes made directly in Cosmos DB leave no event and are not seen (README: restore, deletes).
// Errors: a delete event without target.id / target.objecttype / createdTime throws
// std::runtime_error naming the event (recording fewer deletes than happened would resurrect
// documents on restore). Query failures as query_all_ranges. Cancellation: as query_all_ranges.

#include "io/cosmos/client.hpp"
#include "io/files/tombstones.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::engine {

namespace net = boost::asio;

io::cosmos::query_spec delete_events_query(std::int64_t min_ts);

io::files::tombstone tombstone_of_event(std::string_view projected_event);

struct deletes_read {
  std::vector<io::files::tombstone> tombstones;  ///< by (deleted_time, event_id)
  double request_charge = 0;
};

net::awaitable<deletes_read> read_deletes(io::cosmos::client& client, std::string database,
                                          std::string events_collection, std::int64_t min_ts);

}  // namespace idabus::engine
