#include "io/cosmos/errors.hpp"

#include <simdjson.h>

namespace idabus::io::cosmos {

cosmos_error::cosmos_error(error_details details) : std::runtime_error(describe(details)), details_(std::move(details)) {}

std::string_view status_reason(unsigned status) noexcept {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 424: return "Failed Dependency";
    case 429: return "Too Many Requests";
    case 449: return "Retry With";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return status >= 200 && status < 300 ? "Success" : "Error";
  }
}

std::string describe(const error_details& d) {
  std::string out = d.operation.empty() ? std::string("request") : d.operation;
  if (!d.resource_link.empty()) out += " on " + d.resource_link;
  out += " failed: HTTP " + std::to_string(d.status);
  if (d.substatus != 0) out += "/" + std::to_string(d.substatus);
  out += " ";
  out += status_reason(d.status);
  if (!d.server_message.empty()) out += ": " + d.server_message;
  if (!d.activity_id.empty()) out += " (activity id " + d.activity_id + ")";
  return out;
}

std::string server_message_of(std::string_view body) {
  std::string message;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view text;
  if (!body.empty() && parser.parse(body.data(), body.size(), true).get(root) == simdjson::SUCCESS &&
      root["message"].get_string().get(text) == simdjson::SUCCESS) {
    message = std::string(text.substr(0, 1000));
  } else {
    message = std::string(body.substr(0, 200));
  }
  for (auto& c : message) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return message;
}

}  // namespace idabus::io::cosmos
