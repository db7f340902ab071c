#pragma once
// bulk_body: what a test's scripted Cosmos server reads out of a bulk request body.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::stages::bulk_body {

struct bulk_body_operation {
  std::string id;
  int version = 0;  ///< the resource body's "v" field, 0 when absent
};

/// The operations of a bulk request body, in order: id and the "v" field of the resource body.
inline std::vector<bulk_body_operation> operations_in(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::array array = parser.parse(body).get_array();
  std::vector<bulk_body_operation> out;
  for (simdjson::dom::element op : array) {
    bulk_body_operation o;
    o.id = std::string(std::string_view(op["id"]));
    std::int64_t v = 0;
    if (op["resourceBody"]["v"].get_int64().get(v) == simdjson::SUCCESS) o.version = static_cast<int>(v);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace idabus::stages::bulk_body
