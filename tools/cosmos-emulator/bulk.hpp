#pragma once
// bulk: the wire format of a non-atomic Cosmos bulk request (x-ms-cosmos-is-batch-request) —
// parsing its body into document requests and writing the per-operation response body. Pure
// functions; thread-safe with one parser per caller.

#include "tools/cosmos-emulator/store.hpp"

#include <simdjson.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace idabus::emulator {

/// One operation of a bulk body.
struct bulk_entry {
  document_request request;
  std::string op_name;                 ///< operationType as sent
  std::optional<std::string> refusal;  ///< set when the entry is rejected before the store
};

/// Parses the bulk body (a JSON array of operations: operationType Create, Upsert, Read, Replace
/// or Delete; id; partitionKey as a JSON array text or array; resourceBody; ifMatch) into
/// `entries`, whose views point into `padded` or `parser`'s string buffer. An unsupported
/// operationType or a write without resourceBody is an entry with a refusal. Returns an error
/// text for a body that is not such an array.
std::optional<std::string> parse_bulk(simdjson::ondemand::parser& parser, const simdjson::padded_string& padded,
                                      std::vector<bulk_entry>& entries);

/// `[{"statusCode":..,"requestCharge":..,...}, ...]`, one object per result in order: eTag,
/// subStatusCode, retryAfterMilliseconds (throttled), resourceBody (successes unless `minimal`)
/// or message (failures).
std::string bulk_response_body(std::span<const op_result> results, bool minimal);

}  // namespace idabus::emulator
