#include "tools/cosmos-emulator/bulk.hpp"

#include "io/json/write.hpp"
#include "tools/cosmos-emulator/http_status.hpp"

#include <algorithm>

namespace idabus::emulator {

namespace {

using io::json::append_json_string;

void append_result(std::string& out, const op_result& r, bool minimal) {
  out += "{\"statusCode\":";
  out += std::to_string(http_status(r.status));
  out += ",\"requestCharge\":";
  out += format_charge(r.request_charge);
  if (!r.etag.empty()) {
    out += ",\"eTag\":";
    append_json_string(out, r.etag);
  }
  if (auto substatus = http_substatus(r.status); substatus != 0) {
    out += ",\"subStatusCode\":";
    out += std::to_string(substatus);
  }
  if (r.status == result_status::throttled) {
    out += ",\"retryAfterMilliseconds\":";
    out += std::to_string(std::max<long long>(1, r.retry_after.count()));
  }
  if (r.succeeded() && !r.body.empty() && !minimal) {
    out += ",\"resourceBody\":";
    out += r.body;
  } else if (!r.succeeded()) {
    out += ",\"message\":";
    append_json_string(out, r.message.empty() ? default_message(r.status) : std::string_view(r.message));
  }
  out += '}';
}

}  // namespace

std::optional<std::string> parse_bulk(simdjson::ondemand::parser& parser, const simdjson::padded_string& padded,
                                      std::vector<bulk_entry>& entries) {
  namespace od = simdjson::ondemand;
  od::document doc;
  if (parser.iterate(padded).get(doc)) return "bulk body: expected a JSON array of operations";
  od::array array;
  if (doc.get_array().get(array)) return "bulk body: expected a JSON array of operations";
  std::size_t index = 0;
  for (auto element : array) {
    od::object object;
    if (element.get_object().get(object)) {
      return "bulk body: operation " + std::to_string(index) + " is not a JSON object";
    }
    bulk_entry entry;
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return "bulk body: operation " + std::to_string(index) + " has a bad key";
      auto value = field.value();
      if (key == "operationType") {
        std::string_view t;
        if (value.get_string().get(t)) return "bulk body: operation " + std::to_string(index) + ": operationType must be a string";
        entry.op_name = t;
      } else if (key == "id") {
        std::string_view id;
        if (value.get_string().get(id)) return "bulk body: operation " + std::to_string(index) + ": id must be a string";
        entry.request.id = id;
      } else if (key == "partitionKey") {
        od::json_type type;
        if (value.type().get(type)) return "bulk body: operation " + std::to_string(index) + ": bad partitionKey";
        std::string_view pk;
        if (type == od::json_type::string) {
          if (value.get_string().get(pk)) return "bulk body: operation " + std::to_string(index) + ": bad partitionKey";
        } else if (type == od::json_type::array) {
          od::array a;
          if (value.get_array().get(a) || a.raw_json().get(pk)) {
            return "bulk body: operation " + std::to_string(index) + ": bad partitionKey";
          }
        } else {
          return "bulk body: operation " + std::to_string(index) +
                 ": partitionKey must be a JSON array text such as \"[\\\"value\\\"]\"";
        }
        entry.request.partition_key = pk;
      } else if (key == "resourceBody") {
        od::object body;
        std::string_view raw;
        if (value.get_object().get(body) || body.raw_json().get(raw)) {
          return "bulk body: operation " + std::to_string(index) + ": resourceBody must be a JSON object";
        }
        entry.request.body = raw;
      } else if (key == "ifMatch") {
        std::string_view m;
        if (value.get_string().get(m)) return "bulk body: operation " + std::to_string(index) + ": ifMatch must be a string";
        entry.request.if_match = m;
      }
    }
    const std::string& t = entry.op_name;
    if (t == "Create") {
      entry.request.op = document_op::create;
    } else if (t == "Upsert") {
      entry.request.op = document_op::upsert;
    } else if (t == "Read") {
      entry.request.op = document_op::read;
    } else if (t == "Replace") {
      entry.request.op = document_op::replace;
    } else if (t == "Delete") {
      entry.request.op = document_op::remove;
    } else {
      entry.refusal = "operationType '" + t + "' is not supported by cosmos-emulator (Create, Upsert, Read, Replace, Delete)";
    }
    if ((entry.request.op == document_op::create || entry.request.op == document_op::upsert ||
         entry.request.op == document_op::replace) &&
        entry.request.body.empty() && !entry.refusal) {
      entry.refusal = "operation " + std::to_string(index) + " (" + t + "): resourceBody is required";
    }
    entries.push_back(std::move(entry));
    ++index;
  }
  return std::nullopt;
}

std::string bulk_response_body(std::span<const op_result> results, bool minimal) {
  std::string body = "[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i) body += ',';
    append_result(body, results[i], minimal);
  }
  body += ']';
  return body;
}

}  // namespace idabus::emulator
