// The document part of the store: validation, routing by partition key, admission against the
// partition's throughput, and the create/upsert/replace/read/remove semantics.
#include "tools/cosmos-emulator/store_impl.hpp"

#include "tools/cosmos-emulator/key_ranges.hpp"
#include "tools/cosmos-emulator/ru_model.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"

#include <algorithm>

namespace idabus::emulator {

namespace cosmos = idabus::io::cosmos;

namespace {

constexpr std::size_t max_document_bytes = 2u << 20;

std::string describe_key(const std::vector<cosmos::pk_component>& key) { return cosmos::partition_key_header(key); }

std::size_t count_members(simdjson::dom::object object, std::string_view key) {
  std::size_t n = 0;
  for (const auto member : object) n += member.key == key;
  return n;
}

// Which member along the partition key path (one per level) is repeated; empty when none is.
// JSON parsers disagree on which of two equal keys counts, so such a document has no one value.
std::string repeated_on_path(simdjson::dom::object object, std::string_view pk_path) {
  std::size_t pos = 1;
  while (pos <= pk_path.size()) {
    auto next = pk_path.find('/', pos);
    if (next == std::string_view::npos) next = pk_path.size();
    const std::string_view segment = pk_path.substr(pos, next - pos);
    const std::size_t n = count_members(object, segment);
    if (n > 1) return std::string(segment);
    simdjson::dom::object inner;
    if (n == 0 || next == pk_path.size() || object[segment].get_object().get(inner)) return {};
    object = inner;
    pos = next + 1;
  }
  return {};
}

struct parsed_body {
  std::string id;
  std::vector<cosmos::pk_component> key;
};

// Validates a document body; fills id and the partition key value found at pk_path.
std::optional<op_result> parse_document(const collection& c, std::string_view body, parsed_body& out) {
  if (body.size() > max_document_bytes) {
    return store_error(result_status::too_large, "document is " + std::to_string(body.size()) +
                                                     " bytes; the maximum is 2 MB (2097152 bytes)");
  }
  simdjson::dom::element root;
  if (auto err = dom_parser().parse(body.data(), body.size()).get(root)) {
    return store_error(result_status::bad_request, std::string("document is not valid JSON: ") + simdjson::error_message(err));
  }
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    return store_error(result_status::bad_request, "document must be a JSON object");
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) return store_error(result_status::bad_request, "document must be a JSON object");
  if (const std::size_t ids = count_members(object, "id"); ids > 1) {
    return store_error(result_status::bad_request, "document has " + std::to_string(ids) +
                                                       " \"id\" properties; exactly one is allowed");
  }
  simdjson::dom::element id;
  if (root["id"].get(id)) return store_error(result_status::bad_request, "document is missing the required property \"id\"");
  std::string_view id_text;
  if (id.get_string().get(id_text)) return store_error(result_status::bad_request, "document property \"id\" must be a string");
  if (auto why = check_id(id_text, "document"); !why.empty()) return store_error(result_status::bad_request, why);
  out.id = std::string(id_text);
  if (auto repeated = repeated_on_path(object, c.pk_path); !repeated.empty()) {
    return store_error(result_status::bad_request, "document has more than one " + json_quote(repeated) +
                                                       " property on the partition key path " + c.pk_path +
                                                       "; exactly one is allowed");
  }
  simdjson::dom::element v;
  cosmos::pk_component comp;  // monostate = undefined (property absent)
  if (!root.at_pointer(c.pk_path).get(v)) {
    switch (v.type()) {
      case simdjson::dom::element_type::STRING: comp = std::string(v.get_string().value()); break;
      case simdjson::dom::element_type::INT64: comp = static_cast<double>(v.get_int64().value()); break;
      case simdjson::dom::element_type::UINT64: comp = static_cast<double>(v.get_uint64().value()); break;
      case simdjson::dom::element_type::DOUBLE: comp = v.get_double().value(); break;
      case simdjson::dom::element_type::BOOL: comp = v.get_bool().value(); break;
      case simdjson::dom::element_type::NULL_VALUE: comp = nullptr; break;
      default:
        return store_error(result_status::bad_request, "partition key property " + c.pk_path +
                                                           " must be a string, number, boolean or null, not an object or array");
    }
  }
  out.key.clear();
  out.key.push_back(std::move(comp));
  return std::nullopt;
}

}  // namespace

std::optional<routed_key> store::impl::route_key(const collection& c, std::optional<std::string_view> text,
                                                 std::string& message) {
  if (!text) {
    message = "missing partition key: collection " + json_quote(c.id) + " needs its value as a JSON array such as [\"value\"]" +
              " (partitioned by " + c.pk_path + ")";
    return std::nullopt;
  }
  auto key = cosmos::parse_partition_key_header(*text);
  if (!key || key->size() != 1) {
    message = "invalid partition key " + json_quote(*text) +
              ": expected a JSON array with one string, number, boolean, null or {} for path " + c.pk_path;
    return std::nullopt;
  }
  routed_key r;
  r.key = std::move(*key);
  r.pk_key = encode_partition_key(r.key);
  r.epk = cosmos::effective_partition_key_v2(r.key);
  r.partition = range_of(r.epk, c.partition_count);
  return r;
}

op_result store::impl::execute(database& d, collection& c, const document_request& req,
                               std::vector<std::optional<std::chrono::milliseconds>>* batch_throttled) {
  std::string message;
  parsed_body parsed;
  const bool has_body = req.op == document_op::create || req.op == document_op::upsert || req.op == document_op::replace;
  if (has_body) {
    if (auto bad = parse_document(c, req.body, parsed)) return *bad;
    if (req.op == document_op::replace && parsed.id != req.id) {
      return store_error(result_status::bad_request, "replace: the body's id " + json_quote(parsed.id) +
                                                         " differs from the id in the request " + json_quote(req.id));
    }
  } else {
    if (auto why = check_id(req.id, "document"); !why.empty()) return store_error(result_status::bad_request, why);
  }
  auto route = route_key(c, req.partition_key, message);
  if (!route) return store_error(result_status::bad_request, message);
  if (has_body && parsed.key != route->key) {
    return store_error(result_status::partition_key_mismatch,
                       "partition key " + describe_key(route->key) + " in the request does not match the document's value " +
                           describe_key(parsed.key) + " at " + c.pk_path);
  }
  const std::string_view id = has_body ? std::string_view(parsed.id) : req.id;
  const std::uint32_t pi = route->partition;
  partition& part = *c.partitions[pi];
  std::unique_lock lock(part.mutex);
  const auto now = steady_now();
  if (batch_throttled && (*batch_throttled)[pi]) return throttled_result(*(*batch_throttled)[pi], pi);
  if (auto wait = part.bucket.admit(now)) {
    if (batch_throttled) (*batch_throttled)[pi] = *wait;
    return throttled_result(*wait, pi);
  }
  const std::string key = document_key(route->pk_key, id);
  document_ptr existing = part.find(key);
  op_result r;
  r.range_id = std::to_string(pi);
  auto etag_mismatch = [&] {
    return req.if_match && existing && *req.if_match != "*" && *req.if_match != existing->etag;
  };
  auto finish_miss = [&](result_status s, std::string msg) {
    r.status = s;
    r.message = std::move(msg);
    r.request_charge = miss_charge();
    part.bucket.consume(r.request_charge, now);
    return r;
  };
  auto missing = [&] {
    return "document " + json_quote(id) + " with partition key " + describe_key(route->key) + " does not exist";
  };
  auto mismatch = [&] {
    return "the expected _etag " + std::string(*req.if_match) + " does not match the current _etag " + existing->etag;
  };
  switch (req.op) {
    case document_op::read:
      if (!existing) return finish_miss(result_status::not_found, missing());
      r.status = result_status::ok;
      r.body = existing->bytes;
      r.etag = existing->etag;
      r.request_charge = read_charge(existing->bytes.size());
      part.bucket.consume(r.request_charge, now);
      return r;
    case document_op::remove:
      if (!existing) return finish_miss(result_status::not_found, missing());
      if (etag_mismatch()) return finish_miss(result_status::precondition_failed, mismatch());
      part.remove(key);
      record(rec_document_delete, {d.id, c.id, key});
      r.status = result_status::no_content;
      r.request_charge = delete_charge(existing->bytes.size());
      part.bucket.consume(r.request_charge, now);
      return r;
    case document_op::create:
      if (existing) {
        return finish_miss(result_status::conflict, "a document with id " + json_quote(id) + " and partition key " +
                                                        describe_key(route->key) + " already exists");
      }
      break;
    case document_op::replace:
      if (!existing) return finish_miss(result_status::not_found, missing());
      [[fallthrough]];
    case document_op::upsert:
      if (etag_mismatch()) return finish_miss(result_status::precondition_failed, mismatch());
      break;
  }
  // Write: new version with fresh system properties.
  auto doc = std::make_shared<stored_document>();
  {
    std::lock_guard clock(c.clock_mu);
    c.last_ts = std::max(c.last_ts, unix_now());
    doc->ts = c.last_ts;
    doc->seq = ++c.seq;
  }
  doc->rid_number = existing ? existing->rid_number : ++c.next_doc_number;
  doc->etag = next_etag();
  doc->key = key;
  doc->pk_key = route->pk_key;
  doc->epk = route->epk;
  doc->id = std::string(id);
  const std::string rid = document_rid(c.db_number, c.number, doc->rid_number);
  const std::string self = "dbs/" + d.rid + "/colls/" + c.rid + "/docs/" + rid + "/";
  auto bytes = splice_system_properties(req.body, {rid, self, doc->etag, doc->ts}, simdjson::SIMDJSON_PADDING);
  if (!bytes) return store_error(result_status::bad_request, "document must be a JSON object");
  doc->bytes = std::move(*bytes);
  r.status = existing ? result_status::ok : result_status::created;
  r.request_charge = existing ? replace_charge(doc->bytes.size()) : write_charge(doc->bytes.size());
  r.body = doc->bytes;
  r.etag = doc->etag;
  log_document(d, c, *doc);
  part.put(std::move(doc));
  part.bucket.consume(r.request_charge, now);
  return r;
}

op_result store::execute(std::string_view db, std::string_view coll, const document_request& request) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return store_error(result_status::not_found, missing_collection(db, coll));
  return impl_->execute(*d, *c, request, nullptr);
}

std::vector<op_result> store::execute_batch(std::string_view db, std::string_view coll,
                                            std::span<const document_request> requests) {
  std::vector<op_result> results;
  results.reserve(requests.size());
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      results.push_back(store_error(result_status::not_found, missing_collection(db, coll)));
    }
    return results;
  }
  std::vector<std::optional<std::chrono::milliseconds>> throttled(c->partition_count);
  for (const auto& req : requests) results.push_back(impl_->execute(*d, *c, req, &throttled));
  return results;
}

}  // namespace idabus::emulator
