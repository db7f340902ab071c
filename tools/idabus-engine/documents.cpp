#include "tools/idabus-engine/documents.hpp"

#include "io/json/write.hpp"
#include "tools/idabus-engine/backup_spec.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <simdjson.h>

#include <random>

namespace idabus::engine {

namespace dom = simdjson::dom;

std::string new_id() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  const std::uint64_t a = rng(), b = rng();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(a >> (8 * i));
    bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0x0f];
  }
  return out;
}

std::string resource_document(std::string_view body, std::string_view objecttype, std::string_view id) {
  dom::parser parser;
  const simdjson::padded_string padded(body);
  dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    throw bad_request(std::string("body: not valid JSON (") + simdjson::error_message(error) + ")");
  }
  dom::object object;
  if (root.get_object().get(object)) throw bad_request("body: expected a JSON object");
  std::string add;
  for (auto [name, want] : {std::pair{std::string_view("id"), id}, std::pair{std::string_view("objecttype"), objecttype}}) {
    dom::element value;
    if (object.at_key(name).get(value)) {
      add += '"' + std::string(name) + "\":";
      io::json::append_json_string(add, want);
      add += ',';
      continue;
    }
    std::string_view given;
    if (value.get_string().get(given) || given != want) {
      throw bad_request("body: \"" + std::string(name) + "\" must be the string in the URL ('" + std::string(want) + "')");
    }
  }
  if (add.empty()) return std::string(body);
  const auto brace = body.find('{');
  std::string out(body.substr(0, brace + 1));
  if (object.size() == 0) add.pop_back();
  out += add;
  out += body.substr(brace + 1);
  return out;
}

std::string request_event(std::string_view event_id, write_operation op, std::string_view objecttype,
                          std::string_view id, std::int64_t created_ms) {
  std::string out = "{\"id\":";
  io::json::append_json_string(out, event_id);
  out += ",\"eventType\":\"Request\",\"operation\":";
  out += op == write_operation::put ? "\"Put\"" : "\"Delete\"";
  out += ",\"target\":{\"id\":";
  io::json::append_json_string(out, id);
  out += ",\"objecttype\":";
  io::json::append_json_string(out, objecttype);
  out += "},\"createdTime\":";
  io::json::append_json_string(out, format_iso8601_ms(created_ms));
  out += "}";
  return out;
}

std::string execution_document(std::string_view id, std::string_view workflow, execution_status status, int step,
                               int steps, std::string_view input, std::int64_t updated_ms) {
  static constexpr const char* names[] = {"Queued", "Running", "Completed"};
  std::string out = "{\"id\":";
  io::json::append_json_string(out, id);
  out += ",\"workflowName\":";
  io::json::append_json_string(out, workflow);
  out += ",\"status\":\"";
  out += names[static_cast<int>(status)];
  out += "\",\"step\":" + std::to_string(step) + ",\"steps\":" + std::to_string(steps) + ",\"input\":";
  out += input;
  out += ",\"updatedTime\":";
  io::json::append_json_string(out, format_iso8601_ms(updated_ms));
  out += "}";
  return out;
}

}  // namespace idabus::engine
