#pragma once
// http_status: how the REST surface (routes) answers a store outcome — the HTTP status, the
// Cosmos x-ms-substatus, the error code name of the error body and a default message. The store
// knows none of these; it reports result_status values. Pure functions; thread-safe.
//
//   ok 200, created 201, no_content 204, bad_request 400, partition_key_mismatch 400/1001,
//   bad_continuation 400, not_found 404, conflict 409, gone 410/1002, precondition_failed 412,
//   too_large 413, throttled 429/3200.

#include "tools/cosmos-emulator/store.hpp"

#include <string>
#include <string_view>

namespace idabus::emulator {

unsigned http_status(result_status status) noexcept;

/// x-ms-substatus where Cosmos sets one (1001, 1002, 3200); 0 otherwise.
unsigned http_substatus(result_status status) noexcept;

/// The Cosmos error code name for error bodies: "BadRequest", "NotFound", "Conflict", "Gone",
/// "PreconditionFailed", "RequestEntityTooLarge", "TooManyRequests"; empty for successes.
std::string_view error_code_name(result_status status) noexcept;

/// x-ms-request-charge and bulk requestCharge text: two decimals ("5.00").
std::string format_charge(double charge);

/// The service's wording of an error, for outcomes the store reported without a message.
std::string_view default_message(result_status status) noexcept;

}  // namespace idabus::emulator
