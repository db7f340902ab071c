#pragma once
// routes: cosmos-emulator's REST surface (DESIGN §11, cosmos-rest.md §2–§9) as a function from
// request to response over a borrowed store. No I/O of its own; the store does the data work.
//
// Served, from one table of (method, path pattern, handler) in routes.cpp (anything else: 404
// NotFound, or 405 MethodNotAllowed for a path some pattern matches):
//   GET /                                   account (endpoint discovery, advertises our own URL)
//   GET|POST /dbs, GET|DELETE /dbs/{db}
//   GET|POST /dbs/{db}/colls (x-ms-offer-throughput), GET|PUT|DELETE /dbs/{db}/colls/{c}
//   GET .../colls/{c}/pkranges
//   POST .../docs: create; upsert (x-ms-documentdb-is-upsert); query (x-ms-documentdb-isquery or
//     Content-Type application/query+json); query plan (x-ms-cosmos-is-query-plan-request);
//     bulk (x-ms-cosmos-is-batch-request, non-atomic only)
//   GET .../docs (read feed), GET|PUT|DELETE .../docs/{id} (If-Match on PUT/DELETE)
//   GET /offers, POST /offers (query), GET|PUT /offers/{id}
// `Prefer: return=minimal` makes document writes (and bulk entries) answer without the document.
// Every request must carry a valid master-key signature (401 Unauthorized otherwise) and an
// x-ms-date (or Date) within 15 minutes of the server clock (403 Forbidden otherwise).
// Every response carries content-type application/json, x-ms-request-charge, x-ms-activity-id (a
// uuid), x-ms-session-token; single resources an etag; feeds x-ms-item-count and, when more
// pages follow, x-ms-continuation. Errors are {"code":"NotFound","message":"..."} with
// x-ms-substatus where Cosmos sets one; 429 adds x-ms-retry-after-ms.
// The server's entry point is service.hpp's serve_request (authorize, faults, handle, flush).
// Thread-safe: may be called from several threads at once (the store is thread-safe).

#include "io/http/message.hpp"
#include "tools/cosmos-emulator/store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::emulator {

struct routes_options {
  std::string decoded_key;  ///< master key bytes (HMAC key)
  bool tls = false;         ///< advertise https:// in the account
  std::string host = "127.0.0.1";
  unsigned port = 0;        ///< fallback for the advertised endpoint when a request has no Host
  std::chrono::minutes max_clock_skew{15};
  /// Server clock for the x-ms-date check; default std::chrono::system_clock::now.
  std::function<std::chrono::system_clock::time_point()> now;
};

/// A Cosmos-style error response: {"code":code,"message":message} plus x-ms-substatus when
/// `substatus` is not 0. Common headers are not added here.
io::http::response error_response(unsigned status, std::string_view code, std::string_view message,
                                  unsigned substatus = 0);

/// The PartitionedQueryExecutionInfo answered to a query-plan request for a supported query: no
/// ORDER BY, no DISTINCT, one query range covering ["", "FF"). For `SELECT VALUE COUNT(1)` pass the
/// rewritten text `SELECT VALUE [{"item": COUNT(1)}] <rest>` (aggregates ["Count"]): the SDK sends
/// it to every range, which answers its partial count as [{"item": n}], and sums the partials.
/// Otherwise pass an empty rewritten query (the SDK then sends the original text).
std::string query_plan_body(const parsed_query& query, std::string_view rewritten_query);

class routes {
 public:
  routes(store& data, routes_options options);

  /// nullopt when the request is signed with the master key and dated within the allowed skew;
  /// otherwise the 401/403 response to send (with common headers).
  std::optional<io::http::response> authorize(const io::http::request& request) const;

  /// Executes an authorized request.
  io::http::response handle(const io::http::request& request);

  /// Adds the headers every response carries (activity id, charge, session token, content type).
  void add_common_headers(io::http::response& response, double request_charge, std::string_view range_id) const;

  void set_port(unsigned port) noexcept { options_.port = port; }

 private:
  io::http::response route(const io::http::request& request, std::string_view path, std::string_view query_string);

  store& data_;
  routes_options options_;
  std::atomic<std::uint64_t> lsn_{1};  ///< session token progress: bumped by every write
};

}  // namespace idabus::emulator
