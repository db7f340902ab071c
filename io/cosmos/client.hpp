#pragma once
// client: the Cosmos DB (NoSQL, gateway REST) operations the backup and restore need, on top of
// a borrowed io::http::client. Every request is signed with the master key (auth.hpp), carries
// x-ms-version 2020-07-15, x-ms-date and x-ms-documentdb-query-enablecrosspartition (also on
// point operations: @vercel/cosmosdb-server answers a missing document with 500 without it).
//
// Retries (retry.hpp): 429 waits x-ms-retry-after-ms (once: in options.gate's next acquire when
// there is a gate, on a timer otherwise) and retries until no request of this client has
// succeeded for retry_options::throttle_give_up_after; 408/449/503/410 (not a split) and
// transport failures back off exponentially with jitter for a bounded number of attempts;
// everything else throws cosmos_error at once. A transport failure after the request was sent
// (timeout, reset, invalid response) is retried only for operations that may run twice (reads,
// queries, upserts, deletes, replaces without If-Match, bulk requests without creates or If-Match
// replaces); a create or an If-Match replace throws http::transport_error instead (the server may
// have executed it). A failed connect is always retried. A query pinned to a range (range_id set) that
// gets 410/1002/1007/1008 throws cosmos_error so that the caller (parallel_query) can re-read the
// ranges and continue on the children.
// RU: every attempt goes through options.gate (when set): acquire with the cost model's estimate
// before (the request is signed after the acquire, so x-ms-date is fresh however long it waited),
// settle with x-ms-request-charge after (at the estimate when the header is missing), throttled()
// on every 429. Every reported charge of a success trains the cost model (cost_model.hpp).
// Errors: cosmos_error (HTTP status with operation, link, substatus, activity id and the server's
// message), http::transport_error after the transport retries, parse errors as
// json::parse_error. Nothing thrown or logged contains the key or the authorization header.
// Cancellation: every coroutine reacts to its cancellation slot (in the HTTP request or in a
// backoff wait) by throwing; no state is left behind.
// Thread-safety: one executor, like the http client; any number of operations may run at once.

#include "io/cosmos/bulk.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/cosmos/cost_model.hpp"
#include "io/cosmos/epk.hpp"
#include "io/cosmos/pk_ranges.hpp"
#include "io/cosmos/request_gate.hpp"
#include "io/cosmos/retry.hpp"
#include "io/http/client.hpp"
#include "io/json/page.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::cosmos {

namespace net = boost::asio;

struct client_options {
  std::string api_version = "2020-07-15";
  retry_options retry;
  request_gate* gate = nullptr;  ///< borrowed; optional RU budget hook
  /// Borrowed; the RU estimates, learned from every charge. Null: the client keeps its own.
  cost_model* costs = nullptr;
  /// One line per retry or refresh (never a secret). Optional.
  std::function<void(std::string_view)> log;
  std::uint64_t jitter_seed = 0;  ///< 0: random
};

/// The HTTP client options a connection string implies (TLS verification).
http::client_options http_options_for(const connection_string& cs, http::client_options base = {});
/// Where a connection string points. Throws std::invalid_argument for a bad endpoint URL.
http::endpoint endpoint_of(const connection_string& cs);

struct query_parameter {
  std::string name;        ///< "@since"
  std::string json_value;  ///< the value as JSON text: "1700000000", "\"Person\"", "true"
};

struct query_spec {
  std::string text;  ///< "SELECT * FROM c WHERE c._ts >= @since"
  std::vector<query_parameter> parameters;
};

/// {"query":..., "parameters":[{"name":...,"value":...}]}
std::string query_body(const query_spec& spec);

/// Page body bytes that client::query() calls on this thread copied before parsing them. query()
/// parses a body where the HTTP client left it (with io::http::response_body_slack of padding), so
/// this stays 0; for tests and diagnostics.
std::uint64_t query_body_bytes_copied_on_this_thread() noexcept;

struct page_request {
  std::string database;
  std::string collection;
  query_spec query;
  std::string partition_key_path = "/id";  ///< used to extract each document's key value
  std::optional<std::string> range_id;     ///< x-ms-documentdb-partitionkeyrangeid
  int max_item_count = 1000;               ///< x-ms-max-item-count (-1: server decides)
  std::optional<std::string> continuation; ///< echoed byte for byte
};

struct query_page {
  /// Owns the bytes the documents point into: a buffer of the HTTP client's body pool, which it
  /// returns to when the last copy of this pointer goes (on any thread).
  std::shared_ptr<const http::body_buffer> body;
  std::vector<json::page_document> documents;
  std::optional<std::string> continuation;  ///< absent: this was the last page
  double request_charge = 0;
  std::string range_id;  ///< the range it was read from ("" for a cross-partition query)
};

struct document_response {
  unsigned status = 0;  ///< 200 or 201
  std::string body;
  std::string etag;
  double request_charge = 0;
};

/// What one bulk call did.
struct bulk_outcome {
  std::vector<bulk_result> results;         ///< final results, in input order
  std::uint64_t requests = 0;               ///< HTTP requests sent (re-sends and re-routes included)
  /// Operations answered 429, each time: per operation in a 207, and every operation of a
  /// request answered 429 as a whole.
  std::uint64_t throttled_operations = 0;
  std::uint64_t retried_operations = 0;     ///< operations re-sent (429, 408, 449, 503, 410)
  double request_charge = 0;                ///< sum of the responses' charges

  /// Adds another outcome's counters (not its results).
  void add_counters(const bulk_outcome& other) noexcept;
};

class client {
 public:
  /// Borrows `http`, which must outlive this client and point at cs.endpoint.
  client(http::client& http, connection_string cs, client_options options = {});

  /// GET / : the account document (raw JSON).
  net::awaitable<std::string> read_account();
  /// POST /dbs; true when created, false when it existed (409). Resent after a timeout or reset
  /// (the resend answers 409), so after one of those it may say false for a database it created.
  net::awaitable<bool> create_database_if_missing(std::string database, std::optional<int> throughput = {});
  /// POST /dbs/{db}/colls with a v2 hash partition key; true when created, false when it existed
  /// (resent after a timeout or reset, like create_database_if_missing).
  net::awaitable<bool> create_collection_if_missing(std::string database, std::string collection,
                                                    std::string partition_key_path,
                                                    std::optional<int> throughput = {});
  /// GET .../pkranges, sorted by min_inclusive.
  net::awaitable<std::vector<pk_range>> read_partition_key_ranges(std::string database, std::string collection);
  /// One page of a query (one range when range_id is set, else cross-partition).
  net::awaitable<query_page> query(page_request request);
  /// Point read; std::nullopt for 404.
  net::awaitable<std::optional<document_response>> read_document(std::string database, std::string collection,
                                                                 std::string id, std::vector<pk_component> key);
  /// Upsert (201 created / 200 replaced).
  net::awaitable<document_response> upsert_document(std::string database, std::string collection, std::string body,
                                                    std::vector<pk_component> key);
  /// Replace; with a non-empty if_match a stale etag throws cosmos_error 412.
  net::awaitable<document_response> replace_document(std::string database, std::string collection, std::string id,
                                                     std::string body, std::vector<pk_component> key,
                                                     std::string if_match = {});
  /// Delete; false when the document did not exist (404).
  net::awaitable<bool> delete_document(std::string database, std::string collection, std::string id,
                                       std::vector<pk_component> key, std::string if_match = {});
  /// Bulk (non-atomic batch) requests: operations grouped by partition key range (EPK), cut into
  /// requests of at most 100 operations and ~220 KB, each sent with bulk_range. Final results in
  /// input order.
  net::awaitable<std::vector<bulk_result>> bulk(std::string database, std::string collection,
                                                std::vector<bulk_operation> operations);
  /// One bulk request to a known range (the operations must fit one request: ≤ 100, ~220 KB),
  /// until every operation has a final result (bulk.hpp): per-operation 429, 408, 449, 503 and
  /// 410 (not a split) are re-sent to the range after the longest retryAfterMilliseconds (or a
  /// backoff), a 429 also reported to the gate; a split (410/1002/1007/1008 for the request or
  /// an operation, or a range no longer in the refreshed cache) re-reads the ranges and re-routes
  /// through bulk. Retrying ends like a 429 on a point request: cosmos_error 429 after
  /// retry_options::throttle_give_up_after without progress. Each 2xx operation's charge trains
  /// the cost model (operation_kind::bulk_write, bytes of the operation's body).
  net::awaitable<bulk_outcome> bulk_range(std::string database, std::string collection, std::string range_id,
                                          std::vector<bulk_operation> operations);
  /// Point mode's counterpart of bulk_range: each operation (upserts only, else
  /// std::invalid_argument) as its own request (POST .../docs, x-ms-documentdb-is-upsert, its
  /// partition key header), all of them at once; the HTTP client's pool bounds the connections.
  /// `range_id` is the range holding their keys: it names the gate's per-range budget only (the
  /// service routes a point request by its partition key, so a split needs no re-route). Each
  /// request is retried like upsert_document (429 through the gate, 408/449/503/410 and resets
  /// with backoff: an upsert may run twice). A document's own refusal (400, 409, 413) is its
  /// result, as in a bulk response; results in input order; every 2xx charge trains
  /// operation_kind::point_write. Any other failure (401, 403, 404: the target, not the
  /// document; a 429 past throttle_give_up_after) cancels the requests still running and is
  /// thrown, the first in completion order.
  net::awaitable<bulk_outcome> upsert_each(std::string database, std::string collection, std::string range_id,
                                           std::vector<bulk_operation> operations);
  /// The collection's ranges, from a cache filled on first use and refreshed after a split.
  net::awaitable<std::vector<pk_range>> ranges(std::string database, std::string collection);
  /// The collection's provisioned throughput; std::nullopt when the server has no offers
  /// (shared or serverless throughput, or an emulator without /offers).
  net::awaitable<std::optional<int>> read_throughput(std::string database, std::string collection);
  /// Replaces the collection's offer throughput. Throws cosmos_error when unsupported.
  net::awaitable<void> replace_throughput(std::string database, std::string collection, int throughput);

  const client_options& options() const noexcept { return options_; }
  /// The cost model every estimate comes from (options.costs or the client's own).
  cost_model& costs() noexcept { return *costs_; }

  struct call;  ///< one logical request (implementation detail)

 private:
  /// The collection's own offer as GET /offers lists it.
  struct offer_info {
    std::string collection_rid, collection_self;
    std::string offer_rid, offer_id, offer_self;
    std::optional<int> throughput;
  };
  /// std::nullopt when the server has no offers or none belongs to the collection.
  net::awaitable<std::optional<offer_info>> find_offer(std::string database, std::string collection);
  net::awaitable<http::response> execute(call c);
  /// One request of upsert_each: its result into outcome.results[index], its counters added.
  net::awaitable<void> upsert_one(std::string database, std::string collection, std::string range_id,
                                  bulk_operation operation, std::size_t index, bulk_outcome& outcome);
  net::awaitable<std::vector<pk_range>> ranges_for(std::string database, std::string collection, bool refresh);
  net::awaitable<bulk_outcome> bulk_routed(std::string database, std::string collection,
                                           std::vector<bulk_operation> operations, int refreshes);
  net::awaitable<bulk_outcome> send_to_range(std::string database, std::string collection, std::string range_id,
                                             std::vector<bulk_operation> operations, int refreshes);
  /// Re-reads the ranges and sends `operations` through bulk_routed (bounded by max_range_refreshes).
  net::awaitable<bulk_outcome> reroute(std::string database, std::string collection,
                                       std::vector<bulk_operation> operations, int refreshes);
  void log(std::string_view line) const;

  http::client& http_;
  connection_string cs_;
  client_options options_;
  cost_model own_costs_;
  cost_model* costs_;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point last_progress_;
  std::map<std::string, std::vector<pk_range>> range_cache_;
};

}  // namespace idabus::io::cosmos
