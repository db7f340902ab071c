#include "io/files/tombstones.hpp"

#include "io/files/atomic_file.hpp"
#include "io/json/write.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <type_traits>

namespace idabus::io::files {

namespace {

void append_scalar(std::string& out, const json::scalar& value) {
  std::visit(
      [&out](const auto& v) {
        using type = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<type, std::monostate>) {
          out += "{}";
        } else if constexpr (std::is_same_v<type, std::nullptr_t>) {
          out += "null";
        } else if constexpr (std::is_same_v<type, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<type, double>) {
          std::array<char, 64> buf{};
          auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
          out.append(buf.data(), ec == std::errc() ? end : buf.data());
        } else {
          json::append_json_string(out, v);
        }
      },
      value);
}

[[noreturn]] void bad(std::string_view field, std::string_view expected) {
  throw tombstone_error("tombstone: field '" + std::string(field) + "' " + std::string(expected));
}

std::string string_field(simdjson::dom::object o, std::string_view key) {
  std::string_view v;
  if (o.at_key(key).get_string().get(v) != simdjson::SUCCESS) bad(key, "must be a string");
  return std::string(v);
}

json::scalar scalar_of(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: return std::string(e.get_string().value_unsafe());
    case simdjson::dom::element_type::INT64: return static_cast<double>(e.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64: return static_cast<double>(e.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE: return e.get_double().value_unsafe();
    case simdjson::dom::element_type::BOOL: return e.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE: return nullptr;
    default: return std::monostate{};
  }
}

}  // namespace

std::string to_json_line(const tombstone& t) {
  std::string out = "{\"id\":";
  json::append_json_string(out, t.id);
  out += ",\"partitionKey\":";
  append_scalar(out, t.partition_key);
  out += ",\"deletedTime\":";
  json::append_json_string(out, format_utc_time(t.deleted_time));
  out += ",\"eventId\":";
  json::append_json_string(out, t.event_id);
  out += "}";
  return out;
}

tombstone parse_tombstone(std::string_view line) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(line);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    throw tombstone_error(std::string("tombstone: not valid JSON (") + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object o;
  if (root.get_object().get(o) != simdjson::SUCCESS) throw tombstone_error("tombstone: not a JSON object");
  tombstone t;
  t.id = string_field(o, "id");
  simdjson::dom::element key;
  if (o.at_key("partitionKey").get(key) != simdjson::SUCCESS) bad("partitionKey", "is missing");
  t.partition_key = scalar_of(key);
  const auto deleted = parse_utc_time(string_field(o, "deletedTime"));
  if (!deleted) bad("deletedTime", "must be a UTC time like 2026-11-30T01:02:03.456Z");
  t.deleted_time = *deleted;
  t.event_id = string_field(o, "eventId");
  return t;
}

std::string tombstones_file(std::string_view collection) {
  return std::string(collection) + "/" + std::string(tombstones_file_name);
}

tombstones_entry write_tombstones(const std::filesystem::path& set_dir, std::string_view collection,
                                  std::span<const tombstone> tombstones, chunk_encoder& encoder) {
  std::string raw;
  for (const auto& t : tombstones) {
    raw += to_json_line(t);
    raw += '\n';
  }
  auto encoded = encoder.encode(raw);
  tombstones_entry entry;
  entry.file = tombstones_file(collection);
  entry.documents = tombstones.size();
  entry.raw_bytes = raw.size();
  entry.bytes = encoded.bytes.size();
  entry.sha256 = std::move(encoded.sha256);
  std::filesystem::create_directories(set_dir / std::string(collection));
  write_file_atomically(set_dir / entry.file, encoded.bytes);
  return entry;
}

std::vector<tombstone> read_tombstones(const std::filesystem::path& set_dir, const tombstones_entry& entry,
                                       chunk_decoder& decoder) {
  const auto path = (set_dir / entry.file).string();
  const auto text = decoder.read(path, entry.sha256);
  std::vector<tombstone> out;
  std::size_t number = 0;
  for (auto line : json_lines(text)) {
    ++number;
    try {
      out.push_back(parse_tombstone(line));
    } catch (const tombstone_error& e) {
      throw tombstone_error(path + " line " + std::to_string(number) + ": " + e.what());
    }
  }
  if (out.size() != entry.documents) {
    throw chunk_error(chunk_problem::size_mismatch, path + ": " + std::to_string(out.size()) +
                                                        " tombstones but the manifest lists " +
                                                        std::to_string(entry.documents));
  }
  return out;
}

}  // namespace idabus::io::files
