#pragma once
// run_write_lanes: the write path of a job (DESIGN §9): documents are routed by effective
// partition key (EPK) to their physical range *before* they are batched, so a hot range never
// holds back a cold one and no batch is larger than its range can take.
//
//   in (channel<write_document>, or several: a router each) -> route -> one lane per range × options.lanes_per_range
//   sub-lanes (each a bounded channel of options.lane_capacity documents) -> one batch at a time
//   per sub-lane, so a range has up to lanes_per_range batches in flight. options.mode says how a
//   batch is sent: write_mode::bulk as one bulk request (client.bulk_range); write_mode::point as
//   one upsert request per document, all of the batch's at once (client.upsert_each: many
//   requests in flight per sub-lane, each charged to its range's budget).
//
// - Order: a document goes to sub-lane hash(EPK, id) of its range, a sub-lane sends one batch at a
//   time and a batch never holds two operations on the same document, so the versions of one
//   document are written in the order they arrived (a re-sent 429 cannot overtake a later one).
// - Batches are cut at max_batch_operations (≤ 100), max_batch_bytes (≤ ~220 KB; bulk only: a
//   point request carries one document) and, when the range's share is known
//   (range_ru_per_second > 0), at batch_seconds × share of predicted RU (client.costs(),
//   operation_kind::bulk_write or point_write): a small slice of what the range takes in a
//   second, never more than a second's worth. A sub-lane sends what it has when its queue is
//   empty (no timer).
// - RU pacing is the client's gate (per range); this stage only shapes the batches.
// - Results go to `counters` (borrowed, updated as results arrive, readable for progress):
//   written / rejected documents (each rejection with its status and message, the first
//   max_rejections_kept of them), RU, throttled operations (each operation of each bulk response
//   answered 429), retried operations and requests, in total and per range. options.on_result,
//   when set, is called once per document as its final result arrives (after the counters were
//   updated), with the document's ticket and its rejection (null when written): the caller can
//   tell which documents are done (e.g. to checkpoint a prefix of its input). Per range they
//   also hold where the time went: sub-lanes idle (no document queued), in requests, and the
//   router waiting for room in the range's sub-lanes.
// - A request answered 413 as a whole that held one document (larger than the service takes) is
//   that document's rejection, not a failure of the stage; in point mode so is a 400, 409 or 413
//   answer to a document's own request. Point mode writes upserts only (std::invalid_argument
//   from the lane for another type).
// Ends when `in` has ended and every document has a final result. Runs on the caller's executor
// (the client's). Cancellation: cancelling it cancels the router and every sub-lane (requests in
// flight are aborted, documents queued are dropped) and it throws operation_aborted. Throws what
// client.bulk_range or client.upsert_each throws (a request that failed as a whole, after the client's retries) as
// pipeline::stage_error naming the lane; std::invalid_argument for bad options.

#include "io/cosmos/client.hpp"
#include "pipeline/channel.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

/// One document to write.
struct write_document {
  std::string id;
  std::vector<io::cosmos::pk_component> partition_key;
  std::string body;  ///< raw JSON object (create, upsert, replace)
  io::cosmos::bulk_operation_type type = io::cosmos::bulk_operation_type::upsert;
  std::uint64_t ticket = 0;  ///< the caller's number for it, handed back to on_result
};

/// How a batch is sent (see the file comment).
enum class write_mode { bulk, point };

/// A document the server refused for good.
struct write_rejection {
  std::string id;
  std::string partition_key;  ///< as the x-ms-documentdb-partitionkey header (JSON array)
  unsigned status = 0;
  int substatus = 0;
  std::string message;
};

/// A document's final result: `rejection` is null when it was written. Called on the lanes'
/// executor; it must not block.
using write_result_function = std::function<void(std::uint64_t ticket, const write_rejection* rejection)>;

struct write_lanes_options {
  std::string database;
  std::string collection;
  write_mode mode = write_mode::bulk;
  std::size_t lanes_per_range = 2;   ///< sub-lanes (batches in flight) per range, ≥ 1
  std::size_t lane_capacity = 256;   ///< documents queued per sub-lane, ≥ 1
  double range_ru_per_second = 0;    ///< each range's share of the provisioned RU/s; 0 = unknown
  double batch_seconds = 0.1;        ///< predicted RU per batch ≤ batch_seconds × share, in (0, 1]
  std::size_t max_batch_operations = 100;
  std::size_t max_batch_bytes = 220201;
  std::size_t max_rejections_kept = 10000;
  write_result_function on_result;   ///< optional; see the file comment
};

/// Throws std::invalid_argument naming the first option out of range.
void validate(const write_lanes_options& options);

struct write_counters {
  std::uint64_t written = 0;               ///< documents accepted (2xx)
  std::uint64_t rejected = 0;              ///< documents refused for good
  std::uint64_t operations = 0;            ///< operations sent, each re-send counted
  std::uint64_t throttled_operations = 0;  ///< operations answered 429
  std::uint64_t retried_operations = 0;    ///< operations re-sent (429, 408, 449, 503, 410)
  std::uint64_t requests = 0;              ///< HTTP write requests (bulk, or point: one per document sent)
  double ru = 0;                           ///< RU charged by the responses
  // Where the time went (seconds, summed over a range's sub-lanes; idle and router waits only
  // per range): where backpressure sits.
  double idle_seconds = 0;            ///< sub-lanes waiting for a document
  double request_seconds = 0;         ///< sub-lanes in a bulk request (the gate's wait included)
  double router_blocked_seconds = 0;  ///< the router waiting for room in one of the sub-lanes

  void add(const io::cosmos::bulk_outcome& outcome, std::size_t sent) noexcept;
};

struct write_lanes_counters {
  write_counters total;
  std::map<std::string, write_counters> ranges;  ///< by range id (the lane's range)
  std::vector<write_rejection> rejections;       ///< the first max_rejections_kept rejections
};

/// See the file comment.
net::awaitable<void> run_write_lanes(io::cosmos::client& client, write_lanes_options options,
                                     pipeline::channel<write_document>& in, write_lanes_counters& counters);

/// The same over several inputs, each with a router of its own: a router waiting for room in a
/// full sub-lane holds back only its own input, so an input that carries one range's documents
/// keeps that range fed while another range's sub-lanes are full. Every version of one document
/// must come through the same input (order is kept within an input). Ends when every input has
/// ended and every document has a final result.
net::awaitable<void> run_write_lanes(io::cosmos::client& client, write_lanes_options options,
                                     std::vector<pipeline::channel<write_document>*> inputs,
                                     write_lanes_counters& counters);

}  // namespace idabus::stages
