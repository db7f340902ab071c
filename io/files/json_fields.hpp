#pragma once
// Internal to io/files (manifest.json, restore-plan.json): typed members of a simdjson
// DOM object, each failure a json_field_error naming the field's path ("collections[0].files[2].sha256")
// and what was expected. Callers turn it into their own error type. It pulls in simdjson.

#include "io/files/manifest.hpp"

#include <simdjson.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idabus::io::files::detail {

class json_field_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws json_field_error: "field '<field>' <expected>".
[[noreturn]] void invalid_field(const std::string& field, std::string_view expected);

/// `path` is the parent's path with a trailing '.' (or empty at the top level).
simdjson::dom::element member(simdjson::dom::object object, const std::string& path, std::string_view key);
std::string get_string(simdjson::dom::object object, const std::string& path, std::string_view key);
std::uint64_t get_count(simdjson::dom::object object, const std::string& path, std::string_view key);
utc_time get_time(simdjson::dom::object object, const std::string& path, std::string_view key);
std::string get_sha256(simdjson::dom::object object, const std::string& path);
simdjson::dom::object as_object(simdjson::dom::element element, const std::string& field);
simdjson::dom::array get_array(simdjson::dom::object object, const std::string& path, std::string_view key);

}  // namespace idabus::io::files::detail
