#pragma once
// store: the engine's documents in Cosmos DB, on a borrowed io::cosmos::client.
// - Events (partition key /id): request events, backup request events, and two system documents
//   with fixed ids: the system modes (modes.hpp) and the backup lease (lease.hpp). Keeping them in
//   Events needs no extra collection, and /id partitioning makes each a cheap point read.
// - Resources (partition key /objecttype) and WorkflowExecutions (partition key /id) for the
//   minimal write surface.
// Conditional writes: create_event answers std::nullopt when the id exists (409),
// replace_event when the etag is stale (412); every other failure throws cosmos_error /
// transport_error. Cancellation: as the client's (the operation throws, nothing is left behind).

#include "io/cosmos/client.hpp"
#include "tools/idabus-engine/config.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace idabus::engine {

namespace net = boost::asio;

struct stored_document {
  std::string body;  ///< raw JSON as the server returned it (or as sent, after a create)
  std::string etag;
};

class store {
 public:
  /// Borrows `client`, which must outlive the store.
  store(io::cosmos::client& client, cosmos_settings names);

  /// Creates the database and the three collections when missing.
  net::awaitable<void> ensure_collections();

  net::awaitable<std::optional<stored_document>> read_event(std::string id);
  net::awaitable<stored_document> upsert_event(std::string id, std::string body);
  /// Create-only: std::nullopt when a document with this id exists.
  net::awaitable<std::optional<stored_document>> create_event(std::string id, std::string body);
  /// Replace if the etag still matches: std::nullopt when it does not (or the document is gone).
  net::awaitable<std::optional<stored_document>> replace_event(std::string id, std::string body, std::string if_match);
  /// Every Events document a query returns (raw JSON), read over all ranges.
  net::awaitable<std::vector<std::string>> query_events(io::cosmos::query_spec query);

  net::awaitable<std::optional<stored_document>> read_resource(std::string objecttype, std::string id);
  net::awaitable<stored_document> upsert_resource(std::string objecttype, std::string body);
  /// False when there was nothing to delete.
  net::awaitable<bool> delete_resource(std::string objecttype, std::string id);

  net::awaitable<stored_document> upsert_execution(std::string id, std::string body);

  const cosmos_settings& names() const noexcept { return names_; }

 private:
  io::cosmos::client& client_;
  cosmos_settings names_;
};

}  // namespace idabus::engine
