#include "tools/cosmos-emulator/http_status.hpp"

#include <cstdio>

namespace idabus::emulator {

unsigned http_status(result_status s) noexcept {
  switch (s) {
    case result_status::ok: return 200;
    case result_status::created: return 201;
    case result_status::no_content: return 204;
    case result_status::bad_request:
    case result_status::partition_key_mismatch:
    case result_status::bad_continuation: return 400;
    case result_status::not_found: return 404;
    case result_status::conflict: return 409;
    case result_status::gone: return 410;
    case result_status::precondition_failed: return 412;
    case result_status::too_large: return 413;
    case result_status::throttled: return 429;
  }
  return 500;
}

unsigned http_substatus(result_status s) noexcept {
  switch (s) {
    case result_status::partition_key_mismatch: return 1001;
    case result_status::gone: return 1002;
    case result_status::throttled: return 3200;
    default: return 0;
  }
}

std::string_view error_code_name(result_status s) noexcept {
  switch (s) {
    case result_status::bad_request:
    case result_status::partition_key_mismatch:
    case result_status::bad_continuation: return "BadRequest";
    case result_status::not_found: return "NotFound";
    case result_status::conflict: return "Conflict";
    case result_status::gone: return "Gone";
    case result_status::precondition_failed: return "PreconditionFailed";
    case result_status::too_large: return "RequestEntityTooLarge";
    case result_status::throttled: return "TooManyRequests";
    default: return {};
  }
}

std::string_view default_message(result_status s) noexcept {
  switch (s) {
    case result_status::throttled:
      return "Request rate is large. More Request Units may be needed, so no changes were made. Please retry this "
             "request later.";
    case result_status::not_found: return "Resource Not Found";
    case result_status::conflict: return "Entity with the specified id already exists in the system.";
    case result_status::precondition_failed: return "One of the specified pre-condition is not met";
    case result_status::gone: return "The partition key range is gone";
    default: return "The request is invalid";
  }
}

std::string format_charge(double charge) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", charge);
  return buf;
}

}  // namespace idabus::emulator
