#pragma once
// Bulk (non-atomic batch) requests, reference/cosmos-rest.md §8: the operations, how one request
// body is cut (batching) and how its response is read (response handling). Pure functions; the
// I/O (sending a batch to a range, waiting, re-routing) is client::bulk_range / client::bulk.
//
// Per-operation outcomes (bulk_disposition_of):
//   2xx and every final error (400, 404, 409, 412, 413, ...)      done: reported to the caller
//   429, 408, 449, 503 and 410 that is not a split                retry on the same range after
//                                                                 retryAfterMilliseconds (or backoff)
//   410 with substatus 1002 / 1007 / 1008                         range_gone: re-read the ranges
//                                                                 and re-route (the range split)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/cosmos/epk.hpp"

namespace idabus::io::cosmos {

enum class bulk_operation_type { create, upsert, replace, remove, read };

struct bulk_operation {
  bulk_operation_type type = bulk_operation_type::upsert;
  std::vector<pk_component> partition_key;
  std::string id;       ///< needed for replace, remove, read
  std::string body;     ///< raw JSON object for create, upsert, replace
  std::string if_match; ///< optional
};

struct bulk_result {
  unsigned status = 0;  ///< per-operation status (201, 200, 204, 404, 409, 412, ...)
  int substatus = 0;
  std::optional<double> request_charge;  ///< requestCharge; absent when the server sent none
  std::string etag;
  std::string message;  ///< server message for failed operations
  std::chrono::milliseconds retry_after{-1};  ///< retryAfterMilliseconds; -1 when absent
};

/// One operation as an element of the request's JSON array.
std::string bulk_entry(const bulk_operation& op);

/// Request limits (.NET/JS SDK: 100 operations, 220,201 bytes), plus an RU limit for callers that
/// cut batches by predicted charge.
struct bulk_limits {
  std::size_t max_operations = 100;
  std::size_t max_body_bytes = 220201;
  double max_ru = std::numeric_limits<double>::infinity();
};

/// Builds one request body from entries. The first entry always fits (an oversized operation
/// goes alone); later ones only within every limit.
class bulk_batch_builder {
 public:
  explicit bulk_batch_builder(bulk_limits limits = {});
  bool fits(std::size_t entry_bytes, double ru) const noexcept;
  void add(std::string_view entry, double ru);
  std::size_t operations() const noexcept { return operations_; }
  double ru() const noexcept { return ru_; }
  bool empty() const noexcept { return operations_ == 0; }
  /// The JSON array; the builder is empty afterwards.
  std::string take_body();

 private:
  bulk_limits limits_;
  std::string body_ = "[";
  std::size_t operations_ = 0;
  double ru_ = 0;
};

enum class bulk_disposition { done, retry, range_gone };

/// See the file comment.
bulk_disposition bulk_disposition_of(const bulk_result& result) noexcept;

/// Parses a bulk response body: one result per operation, in request order. Uses one simdjson
/// parser per thread, reused across responses. Throws json::parse_error when the body is not an
/// array of `expected` objects with a statusCode each.
std::vector<bulk_result> parse_bulk_response(std::string_view body, std::size_t expected);

}  // namespace idabus::io::cosmos
