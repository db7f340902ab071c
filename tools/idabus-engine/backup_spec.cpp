#include "tools/idabus-engine/backup_spec.hpp"

#include "io/http/message.hpp"
#include "io/http/url.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <simdjson.h>

namespace idabus::engine {

namespace dom = simdjson::dom;

std::string_view collection_name(collection_kind kind) {
  switch (kind) {
    case collection_kind::resources: return "Resources";
    case collection_kind::events: return "Events";
    case collection_kind::workflow_executions: return "WorkflowExecutions";
  }
  return "?";
}

namespace {

void read_collection(std::string_view name, dom::element value, collection_request& out) {
  const std::string where(name);
  if (value.is_null()) return;
  dom::object object;
  if (value.get_object().get(object)) throw bad_request(where + ": expected an object");
  for (auto field : object) {
    auto read_bool = [&](bool& target, std::string_view key) {
      if (field.value.is_null()) return;
      if (field.value.get_bool().get(target)) throw bad_request(where + "." + std::string(key) + ": expected true or false");
    };
    if (io::http::iequals(field.key, "isincluded")) {
      read_bool(out.included, "isincluded");
    } else if (io::http::iequals(field.key, "isincremental")) {
      read_bool(out.incremental, "isincremental");
    } else if (io::http::iequals(field.key, "previouscompletedtime")) {
      if (field.value.is_null()) continue;
      std::string_view text;
      if (field.value.get_string().get(text)) {
        throw bad_request(where + ".previouscompletedtime: expected a date string like 2023-01-05T15:54:06.479Z");
      }
      out.previous_completed_ms = parse_iso8601_ms(text);
      if (!out.previous_completed_ms) {
        throw bad_request(where + ".previouscompletedtime: '" + std::string(text.substr(0, 64)) +
                          "' is not a date like 2023-01-05T15:54:06.479Z");
      }
    }
  }
}

}  // namespace

backup_spec parse_backup_spec(std::string_view body) {
  dom::parser parser;
  const simdjson::padded_string padded(body);
  dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    throw bad_request(std::string("body: not valid JSON (") + simdjson::error_message(error) + ")");
  }
  dom::object object;
  if (root.get_object().get(object)) throw bad_request("body: expected a JSON object with one member per collection");
  backup_spec spec;
  for (auto field : object) {
    bool known = false;
    for (auto kind : all_collections) {
      if (io::http::iequals(field.key, collection_name(kind))) {
        read_collection(collection_name(kind), field.value, spec[kind]);
        known = true;
      }
    }
    if (!known) {
      throw bad_request("body: unknown collection '" + std::string(field.key.substr(0, 64)) +
                        "' (expected Resources, Events or WorkflowExecutions)");
    }
  }
  bool any = false;
  for (const auto& c : spec.collections) any = any || c.included;
  if (!any) throw bad_request("body: no collection is included (set \"isincluded\": true on at least one)");
  return spec;
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    for (auto* s : {&key, &value}) {
      for (auto& c : *s) {
        if (c == '+') c = ' ';
      }
    }
    const auto malformed = [&] {
      return bad_request("query: malformed %-escape in parameter '" + std::string(name) + "'");
    };
    const auto decoded_key = io::http::percent_decode(key);
    if (!decoded_key) throw malformed();
    if (io::http::iequals(*decoded_key, name)) {
      auto decoded_value = io::http::percent_decode(value);
      if (!decoded_value) throw malformed();
      return decoded_value;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace idabus::engine
