#include "io/files/json_fields.hpp"

namespace idabus::io::files::detail {

void invalid_field(const std::string& field, std::string_view expected) {
  throw json_field_error("field '" + field + "' " + std::string(expected));
}

simdjson::dom::element member(simdjson::dom::object object, const std::string& path, std::string_view key) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS) invalid_field(path + std::string(key), "is missing");
  return value;
}

std::string get_string(simdjson::dom::object object, const std::string& path, std::string_view key) {
  std::string_view v;
  if (member(object, path, key).get_string().get(v) != simdjson::SUCCESS) {
    invalid_field(path + std::string(key), "must be a string");
  }
  return std::string(v);
}

std::uint64_t get_count(simdjson::dom::object object, const std::string& path, std::string_view key) {
  std::uint64_t v = 0;
  if (member(object, path, key).get_uint64().get(v) != simdjson::SUCCESS) {
    invalid_field(path + std::string(key), "must be a non-negative integer");
  }
  return v;
}

utc_time get_time(simdjson::dom::object object, const std::string& path, std::string_view key) {
  const auto text = get_string(object, path, key);
  const auto time = parse_utc_time(text);
  if (!time) invalid_field(path + std::string(key), "must be a UTC time like 2026-11-30T01:07:12Z");
  return *time;
}

std::string get_sha256(simdjson::dom::object object, const std::string& path) {
  auto sha = get_string(object, path, "sha256");
  if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
    invalid_field(path + "sha256", "must be 64 lowercase hex digits");
  }
  return sha;
}

simdjson::dom::object as_object(simdjson::dom::element element, const std::string& field) {
  simdjson::dom::object o;
  if (element.get_object().get(o) != simdjson::SUCCESS) invalid_field(field, "must be an object");
  return o;
}

simdjson::dom::array get_array(simdjson::dom::object object, const std::string& path, std::string_view key) {
  simdjson::dom::array a;
  if (member(object, path, key).get_array().get(a) != simdjson::SUCCESS) {
    invalid_field(path + std::string(key), "must be an array");
  }
  return a;
}

}  // namespace idabus::io::files::detail
