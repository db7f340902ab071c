#include "tools/idabus-engine/modes.hpp"

#include "io/http/message.hpp"
#include "io/json/write.hpp"
#include "tools/idabus-engine/backup_spec.hpp"

#include <simdjson.h>

namespace idabus::engine {

namespace dom = simdjson::dom;

std::string to_json(system_modes modes) {
  return std::string("{\"maintenance\":") + (modes.maintenance ? "true" : "false") +
         ",\"readonly\":" + (modes.readonly ? "true" : "false") + "}";
}

system_modes parse_modes(std::string_view json) {
  dom::parser parser;
  const simdjson::padded_string padded(json);
  dom::element root;
  if (parser.parse(padded).get(root)) throw bad_request("body: not valid JSON");
  dom::object object;
  if (root.get_object().get(object)) throw bad_request("body: expected {\"maintenance\":bool,\"readonly\":bool}");
  std::optional<bool> maintenance, readonly;
  for (auto field : object) {
    for (auto [name, target] : {std::pair{"maintenance", &maintenance}, std::pair{"readonly", &readonly}}) {
      if (!io::http::iequals(field.key, name)) continue;
      bool value;
      if (field.value.get_bool().get(value)) throw bad_request(std::string(name) + ": expected true or false");
      *target = value;
    }
  }
  if (!maintenance) throw bad_request("maintenance: required (true or false)");
  if (!readonly) throw bad_request("readonly: required (true or false)");
  return {*maintenance, *readonly};
}

modes_registry::modes_registry(store& documents, std::chrono::milliseconds cache_ttl)
    : store_(documents), cache_ttl_(cache_ttl) {}

net::awaitable<system_modes> modes_registry::current() {
  const auto now = std::chrono::steady_clock::now();
  if (cached_ && (writes_in_flight_ > 0 || now - cached_at_ < cache_ttl_)) co_return *cached_;
  auto doc = co_await store_.read_event(std::string(modes_document_id));
  system_modes modes;
  if (doc) modes = parse_modes(doc->body);
  if (writes_in_flight_ == 0) {
    cached_ = modes;
    cached_at_ = now;
  }
  co_return cached_.value_or(modes);
}

net::awaitable<void> modes_registry::set(system_modes modes) {
  cached_ = modes;
  cached_at_ = std::chrono::steady_clock::now();
  ++writes_in_flight_;
  std::string body = "{\"id\":";
  io::json::append_json_string(body, modes_document_id);
  body += ",\"documentType\":\"SystemModes\"," + to_json(modes).substr(1);
  try {
    co_await store_.upsert_event(std::string(modes_document_id), std::move(body));
  } catch (...) {
    --writes_in_flight_;
    cached_.reset();  // unknown whether the write happened: read it again next time
    throw;
  }
  --writes_in_flight_;
  cached_at_ = std::chrono::steady_clock::now();
}

}  // namespace idabus::engine
