#include "io/cosmos/bulk.hpp"

#include "io/cosmos/retry.hpp"
#include "io/json/document.hpp"
#include "io/json/write.hpp"

#include <simdjson.h>

namespace idabus::io::cosmos {

namespace {

std::string_view operation_name(bulk_operation_type t) {
  switch (t) {
    case bulk_operation_type::create: return "Create";
    case bulk_operation_type::upsert: return "Upsert";
    case bulk_operation_type::replace: return "Replace";
    case bulk_operation_type::remove: return "Delete";
    case bulk_operation_type::read: return "Read";
  }
  return "Upsert";
}

}  // namespace

std::string bulk_entry(const bulk_operation& op) {
  using json::json_quote;
  std::string out = "{\"operationType\":\"";
  out += operation_name(op.type);
  out += "\",\"partitionKey\":";
  out += json_quote(partition_key_header(op.partition_key));
  if (!op.id.empty()) out += ",\"id\":" + json_quote(op.id);
  if (!op.if_match.empty()) out += ",\"ifMatch\":" + json_quote(op.if_match);
  if (op.type == bulk_operation_type::create || op.type == bulk_operation_type::upsert ||
      op.type == bulk_operation_type::replace) {
    out += ",\"resourceBody\":";
    out += op.body;
  }
  out += '}';
  return out;
}

bulk_batch_builder::bulk_batch_builder(bulk_limits limits) : limits_(limits) {}

bool bulk_batch_builder::fits(std::size_t entry_bytes, double ru) const noexcept {
  if (operations_ == 0) return true;
  return operations_ < limits_.max_operations && body_.size() + entry_bytes + 2 <= limits_.max_body_bytes &&
         ru_ + ru <= limits_.max_ru;
}

void bulk_batch_builder::add(std::string_view entry, double ru) {
  if (operations_ > 0) body_.push_back(',');
  body_ += entry;
  ++operations_;
  ru_ += ru;
}

std::string bulk_batch_builder::take_body() {
  std::string out = std::move(body_);
  out.push_back(']');
  body_ = "[";
  operations_ = 0;
  ru_ = 0;
  return out;
}

bulk_disposition bulk_disposition_of(const bulk_result& result) noexcept {
  switch (classify(result.status, result.substatus)) {
    case failure_class::throttled:
    case failure_class::transient: return bulk_disposition::retry;
    case failure_class::range_gone: return bulk_disposition::range_gone;
    case failure_class::permanent: return bulk_disposition::done;
  }
  return bulk_disposition::done;
}

std::vector<bulk_result> parse_bulk_response(std::string_view body, std::size_t expected) {
  // One parser per thread: its buffers grow to the largest response and are reused.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array array;
  if (parser.parse(body.data(), body.size(), true).get(root) || root.get_array().get(array)) {
    throw json::parse_error("bulk response is not a JSON array");
  }
  if (array.size() != expected) {
    throw json::parse_error("bulk response has " + std::to_string(array.size()) + " results for " +
                            std::to_string(expected) + " operations");
  }
  std::vector<bulk_result> out;
  out.reserve(expected);
  for (simdjson::dom::element item : array) {
    bulk_result r;
    std::int64_t status = 0;
    if (item["statusCode"].get_int64().get(status)) throw json::parse_error("bulk result without 'statusCode'");
    r.status = static_cast<unsigned>(status);
    std::int64_t sub = 0;
    if (item["subStatusCode"].get_int64().get(sub) == simdjson::SUCCESS) r.substatus = static_cast<int>(sub);
    double number = 0;
    if (item["requestCharge"].get_double().get(number) == simdjson::SUCCESS) r.request_charge = number;
    if (item["retryAfterMilliseconds"].get_double().get(number) == simdjson::SUCCESS && number >= 0) {
      r.retry_after = std::chrono::milliseconds(static_cast<long long>(number));
    }
    std::string_view s;
    if (item["eTag"].get_string().get(s) == simdjson::SUCCESS) r.etag = std::string(s);
    if (item["message"].get_string().get(s) == simdjson::SUCCESS) r.message = std::string(s.substr(0, 1000));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace idabus::io::cosmos
