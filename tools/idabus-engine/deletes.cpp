#include "tools/idabus-engine/deletes.hpp"

#include "io/cosmos/parallel_query.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <simdjson.h>

#include <algorithm>
#include <stdexcept>

namespace idabus::engine {

namespace {

net::awaitable<void> done() { co_return; }

[[noreturn]] void bad_event(std::string_view id, std::string_view what) {
  throw std::runtime_error("delete request event '" + std::string(id) + "': " + std::string(what) +
                           " (a delete that cannot be recorded would come back on restore)");
}

}  // namespace

io::cosmos::query_spec delete_events_query(std::int64_t min_ts) {
  io::cosmos::query_spec q;
  q.text =
      "SELECT c.id, c.target, c.createdTime FROM c WHERE c.eventType = @type AND c.operation = @operation "
      "AND c._ts >= @since";
  q.parameters = {{"@type", "\"Request\""}, {"@operation", "\"Delete\""}, {"@since", std::to_string(min_ts)}};
  return q;
}

io::files::tombstone tombstone_of_event(std::string_view projected_event) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(projected_event);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) throw std::runtime_error("delete request event: not valid JSON");
  std::string_view id;
  if (root["id"].get_string().get(id)) throw std::runtime_error("delete request event without an id");
  io::files::tombstone t;
  t.event_id = std::string(id);
  std::string_view target_id, objecttype, created;
  if (root["target"]["id"].get_string().get(target_id)) bad_event(id, "no target.id");
  if (root["target"]["objecttype"].get_string().get(objecttype)) bad_event(id, "no target.objecttype");
  if (root["createdTime"].get_string().get(created)) bad_event(id, "no createdTime");
  const auto ms = parse_iso8601_ms(created);
  if (!ms) bad_event(id, "createdTime is not an ISO 8601 time");
  t.id = std::string(target_id);
  t.partition_key = std::string(objecttype);
  t.deleted_time = io::files::utc_time(std::chrono::milliseconds(*ms));
  return t;
}

net::awaitable<deletes_read> read_deletes(io::cosmos::client& client, std::string database,
                                          std::string events_collection, std::int64_t min_ts) {
  deletes_read out;
  io::cosmos::page_request request;
  request.database = std::move(database);
  request.collection = std::move(events_collection);
  request.query = delete_events_query(min_ts);
  request.partition_key_path = "/id";
  // Synchronous: the sinks of the workers never interleave on the engine's one thread.
  io::cosmos::page_sink sink = [&out](io::cosmos::query_page page) {
    for (const auto& d : page.documents) out.tombstones.push_back(tombstone_of_event(d.raw));
    return done();
  };
  io::cosmos::parallel_query_options options;
  options.max_concurrency = 4;
  const auto stats = co_await io::cosmos::query_all_ranges(client, std::move(request), options, std::move(sink));
  out.request_charge = stats.request_charge;
  std::sort(out.tombstones.begin(), out.tombstones.end(), [](const auto& a, const auto& b) {
    return a.deleted_time != b.deleted_time ? a.deleted_time < b.deleted_time : a.event_id < b.event_id;
  });
  co_return out;
}

}  // namespace idabus::engine
