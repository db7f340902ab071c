#include "tools/idabus-engine/backup_event.hpp"

#include "io/json/write.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <simdjson.h>

#include <cstdio>
#include <stdexcept>

namespace idabus::engine {

namespace dom = simdjson::dom;

namespace {

constexpr std::array status_names{"Running", "Completed", "Canceled", "Failed"};
constexpr std::array phase_names{"Basis", "InMaintenanceMode", "InMaintenanceAndReadonlyMode", "Finalizing"};
constexpr std::array source_names{"none", "given", "computed", "noPreviousBackup"};

template <std::size_t N>
int index_of(const std::array<const char*, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<int>(i);
  }
  throw std::runtime_error("backup request event: unknown value '" + std::string(name) + "'");
}

void add_string(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  io::json::append_json_string(out, value);
}

void add_time(std::string& out, std::string_view key, const std::optional<std::int64_t>& ms) {
  out += ",\"";
  out += key;
  out += "\":";
  if (ms) {
    io::json::append_json_string(out, format_iso8601_ms(*ms));
  } else {
    out += "null";
  }
}

std::string number(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::optional<std::int64_t> time_of(dom::object o, std::string_view key) {
  std::string_view s;
  if (o[key].get_string().get(s)) return std::nullopt;
  return parse_iso8601_ms(s);
}

std::string string_of(dom::object o, std::string_view key) {
  std::string_view s;
  if (o[key].get_string().get(s)) return {};
  return std::string(s);
}

template <class T>
T number_of(dom::object o, std::string_view key) {
  double d = 0;
  if (o[key].get_double().get(d)) return T{};
  return static_cast<T>(d);
}

}  // namespace

std::string_view status_name(backup_status status) { return status_names[static_cast<int>(status)]; }
std::string_view phase_name(backup_phase phase) { return phase_names[static_cast<int>(phase)]; }
std::string_view since_source_name(since_source source) { return source_names[static_cast<int>(source)]; }

std::string to_json(const backup_event& e) {
  std::string out = "{\"id\":";
  io::json::append_json_string(out, e.id);
  out += ",\"eventType\":\"BackupRequest\"";
  add_string(out, "comment", e.comment);
  add_time(out, "createdTime", e.created_ms);
  add_string(out, "status", status_name(e.status));
  add_string(out, "phase", phase_name(e.phase));
  out += ",\"error\":";
  if (e.error.empty()) {
    out += "null";
  } else {
    io::json::append_json_string(out, e.error);
  }
  add_string(out, "owner", e.owner);
  out += ",\"modesBefore\":" + to_json(e.modes_before);
  out += ",\"requestParameters\":{\"folder\":";
  io::json::append_json_string(out, e.folder);
  out += ",\"specification\":" + (e.specification.empty() ? std::string("null") : e.specification);
  out += ",\"collections\":{";
  bool first = true;
  for (auto kind : all_collections) {
    const auto& c = e[kind];
    if (!c.included) continue;
    if (!first) out += ',';
    first = false;
    io::json::append_json_string(out, collection_name(kind));
    out += ":{\"type\":";
    out += c.incremental ? "\"Incremental\"" : "\"Full\"";
    add_time(out, "since", c.since_ms);
    add_string(out, "sinceSource", since_source_name(c.since_from));
    add_time(out, "completedtime", c.completed_ms);
    out += ",\"documents\":" + std::to_string(c.documents) + ",\"rawBytes\":" + std::to_string(c.raw_bytes) +
           ",\"compressedBytes\":" + std::to_string(c.compressed_bytes) + ",\"requestCharge\":" +
           number(c.request_charge) + ",\"chunks\":" + std::to_string(c.chunks) + "}";
  }
  out += "},\"progress\":{\"documents\":" + std::to_string(e.progress_documents) +
         ",\"ruPerSecond\":" + number(e.progress_ru_per_second) + "}";
  out += ",\"timings\":{";
  std::string timings;
  add_time(timings, "basisStarted", e.timings.basis_started);
  add_time(timings, "maintenanceStarted", e.timings.maintenance_started);
  add_time(timings, "readonlyStarted", e.timings.readonly_started);
  add_time(timings, "readonlyEnded", e.timings.readonly_ended);
  add_time(timings, "finished", e.timings.finished);
  out += timings.substr(1);
  out += "}}}";
  return out;
}

backup_event parse_backup_event(std::string_view json) {
  dom::parser parser;
  const simdjson::padded_string padded(json);
  dom::object o;
  if (parser.parse(padded).get(o)) throw std::runtime_error("backup request event: not a JSON object");
  if (string_of(o, "eventType") != "BackupRequest") throw std::runtime_error("backup request event: wrong eventType");
  backup_event e;
  e.id = string_of(o, "id");
  e.comment = string_of(o, "comment");
  e.created_ms = time_of(o, "createdTime").value_or(0);
  e.status = static_cast<backup_status>(index_of(status_names, string_of(o, "status")));
  e.phase = static_cast<backup_phase>(index_of(phase_names, string_of(o, "phase")));
  e.error = string_of(o, "error");
  e.owner = string_of(o, "owner");
  dom::object modes;
  if (!o["modesBefore"].get_object().get(modes)) {
    bool b = false;
    if (!modes["maintenance"].get_bool().get(b)) e.modes_before.maintenance = b;
    if (!modes["readonly"].get_bool().get(b)) e.modes_before.readonly = b;
  }
  dom::object params;
  if (!o["requestParameters"].get_object().get(params)) {
    e.folder = string_of(params, "folder");
    dom::element spec;
    if (!params["specification"].get(spec) && !spec.is_null()) e.specification = simdjson::minify(spec);
    dom::object collections;
    if (!params["collections"].get_object().get(collections)) {
      for (auto kind : all_collections) {
        dom::object c;
        if (collections[collection_name(kind)].get_object().get(c)) continue;
        auto& out = e[kind];
        out.included = true;
        out.incremental = string_of(c, "type") == "Incremental";
        out.since_ms = time_of(c, "since");
        out.since_from = static_cast<since_source>(index_of(source_names, string_of(c, "sinceSource")));
        out.completed_ms = time_of(c, "completedtime");
        out.documents = number_of<std::uint64_t>(c, "documents");
        out.raw_bytes = number_of<std::uint64_t>(c, "rawBytes");
        out.compressed_bytes = number_of<std::uint64_t>(c, "compressedBytes");
        out.chunks = number_of<std::uint64_t>(c, "chunks");
        out.request_charge = number_of<double>(c, "requestCharge");
      }
    }
    dom::object progress;
    if (!params["progress"].get_object().get(progress)) {
      e.progress_documents = number_of<std::uint64_t>(progress, "documents");
      e.progress_ru_per_second = number_of<double>(progress, "ruPerSecond");
    }
    dom::object t;
    if (!params["timings"].get_object().get(t)) {
      e.timings.basis_started = time_of(t, "basisStarted");
      e.timings.maintenance_started = time_of(t, "maintenanceStarted");
      e.timings.readonly_started = time_of(t, "readonlyStarted");
      e.timings.readonly_ended = time_of(t, "readonlyEnded");
      e.timings.finished = time_of(t, "finished");
    }
  }
  return e;
}

}  // namespace idabus::engine
