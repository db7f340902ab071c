#pragma once
// request_gate: the hook through which the Cosmos client shares RU budgets with the rest of a
// job (io/ never includes pipeline/; stages/ru_budget_gate adapts pipeline::keyed_ru_budget to
// it). Budgets are per physical partition key range (DESIGN §9), so every call names the range a
// request goes to.
// For every HTTP attempt the client calls, in order:
//   co_await acquire(key, estimate)   before sending (may suspend to pace the job; cancellable:
//                                     throws operation_aborted and reserves nothing)
//   settle(key, estimate, actual)     once the attempt ended, with x-ms-request-charge (the
//                                     estimate when the charge is unknown, e.g. the transport
//                                     failed after sending; 0 when nothing reached the server)
//   throttled(key, retry_after)       additionally for every 429, with x-ms-retry-after-ms; the
//                                     key is the range that answered. The gate holds the key's
//                                     next acquire until retry_after has passed: the client
//                                     retries through acquire without waiting on its own.
// ranges_changed(collection, range_ids) whenever the client (re)reads /pkranges of a collection
// (at first use and after a 410/1002 split), with the ids of every current range.
// work_left(key, ru) from a job that knows roughly how many RU it still needs on a range (a
// backup query that counted the range's documents, see parallel_query.hpp), again as that
// changes; 0 once the range is done. A gate may use it to divide a job-wide cap among the ranges
// so that the range with the most work keeps its share. Optional: the default ignores it.
// Implementations are used from the client's executor only (unless they say otherwise).

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace idabus::io::cosmos {

struct gate_key {
  std::string collection;  ///< "dbs/<db>/colls/<coll>"; "" for account/database-level requests
  std::string range_id;    ///< "" = not one range (metadata, point operations, cross-partition)
};

class request_gate {
 public:
  virtual ~request_gate() = default;
  virtual boost::asio::awaitable<void> acquire(gate_key key, double estimate) = 0;
  virtual void settle(gate_key key, double estimate, double actual) = 0;
  virtual void throttled(gate_key key, std::chrono::milliseconds retry_after) = 0;
  virtual void ranges_changed(std::string collection, std::vector<std::string> range_ids) {
    (void)collection;
    (void)range_ids;
  }
  virtual void work_left(gate_key key, double ru) {
    (void)key;
    (void)ru;
  }
};

}  // namespace idabus::io::cosmos
