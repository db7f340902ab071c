#include "io/cosmos/pk_ranges.hpp"

#include "io/cosmos/epk.hpp"
#include "io/json/document.hpp"

#include <simdjson.h>

#include <algorithm>
#include <stdexcept>

namespace idabus::io::cosmos {

std::vector<pk_range> parse_partition_key_ranges(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto e = parser.parse(body.data(), body.size(), true).get(root)) {
    throw json::parse_error(std::string("pkranges body: ") + simdjson::error_message(e));
  }
  simdjson::dom::array array;
  if (auto e = root["PartitionKeyRanges"].get_array().get(array)) {
    throw json::parse_error(std::string("pkranges body: 'PartitionKeyRanges' (expected an array): ") +
                            simdjson::error_message(e));
  }
  std::vector<pk_range> out;
  for (simdjson::dom::element item : array) {
    pk_range r;
    simdjson::dom::element id;
    if (item["id"].get(id)) throw json::parse_error("pkranges body: a range has no 'id'");
    if (id.is_string()) {
      r.id = std::string(id.get_string().value_unsafe());
    } else if (id.is_int64()) {
      r.id = std::to_string(id.get_int64().value_unsafe());
    } else if (id.is_uint64()) {
      r.id = std::to_string(id.get_uint64().value_unsafe());
    } else {
      throw json::parse_error("pkranges body: range 'id' must be a string or an integer");
    }
    std::string_view s;
    if (item["minInclusive"].get_string().get(s)) throw json::parse_error("pkranges body: range " + r.id + " has no 'minInclusive' string");
    r.min_inclusive = std::string(s);
    if (item["maxExclusive"].get_string().get(s)) throw json::parse_error("pkranges body: range " + r.id + " has no 'maxExclusive' string");
    r.max_exclusive = std::string(s);
    simdjson::dom::array parents;
    if (item["parents"].get_array().get(parents) == simdjson::SUCCESS) {
      for (simdjson::dom::element p : parents) {
        if (p.is_string()) r.parents.emplace_back(p.get_string().value_unsafe());
        else if (p.is_int64()) r.parents.push_back(std::to_string(p.get_int64().value_unsafe()));
      }
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const pk_range& a, const pk_range& b) { return a.min_inclusive < b.min_inclusive; });
  return out;
}

const pk_range* range_for_epk(const std::vector<pk_range>& ranges, std::string_view epk) {
  for (const auto& r : ranges) {
    if (epk_in_range(epk, r.min_inclusive, r.max_exclusive)) return &r;
  }
  return nullptr;
}

std::map<std::string, std::vector<std::size_t>> group_by_range(const std::vector<pk_range>& ranges,
                                                               std::span<const std::string> epks,
                                                               std::span<const std::size_t> indexes) {
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t index : indexes) {
    const pk_range* r = range_for_epk(ranges, epks[index]);
    if (!r) throw std::out_of_range("no partition key range holds effective partition key " + epks[index]);
    groups[r->id].push_back(index);
  }
  return groups;
}

}  // namespace idabus::io::cosmos
