// The catalog part of the store: databases, collections, partition key range listings and offers.
#include "tools/cosmos-emulator/store_impl.hpp"

#include "tools/cosmos-emulator/key_ranges.hpp"
#include "tools/cosmos-emulator/ru_model.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"

#include <algorithm>
#include <cmath>

namespace idabus::emulator {

namespace {

// Why `throughput` cannot be an offer's, or empty when it can.
std::string offer_throughput_error(double throughput) {
  if (throughput >= min_offer_throughput && throughput <= max_offer_throughput) return {};
  std::string got;
  append_number(got, throughput);
  return "offer throughput must be from 400 to 1000000 RU/s (got " + got + ")";
}

op_result missing_offer(std::string_view offer_id) {
  return store_error(result_status::not_found, "offer " + json_quote(offer_id) + " does not exist", metadata_charge());
}

// A catalog answer: every catalog operation is charged metadata_charge().
op_result catalog_result(result_status status, std::string body = {}, std::string etag = {}) {
  op_result r;
  r.status = status;
  r.body = std::move(body);
  r.etag = std::move(etag);
  r.request_charge = metadata_charge();
  return r;
}

}  // namespace

database* store::impl::find_db(std::string_view id) const {
  for (const auto& d : databases) {
    if (d->id == id) return d.get();
  }
  for (const auto& d : databases) {
    if (d->rid == id) return d.get();
  }
  return nullptr;
}

collection* store::impl::find_coll(const database& db, std::string_view id) {
  for (const auto& c : db.collections) {
    if (c->id == id) return c.get();
  }
  for (const auto& c : db.collections) {
    if (c->rid == id) return c.get();
  }
  return nullptr;
}

collection* store::impl::find_coll(std::string_view db, std::string_view coll) const {
  database* d = find_db(db);
  return d ? find_coll(*d, coll) : nullptr;
}

std::string store::impl::database_body(const database& d) {
  return "{\"id\":" + json_quote(d.id) + ",\"_rid\":\"" + d.rid + "\",\"_self\":\"dbs/" + d.rid +
         "/\",\"_etag\":" + json_quote(d.etag) + ",\"_colls\":\"colls/\",\"_users\":\"users/\",\"_ts\":" +
         std::to_string(d.ts) + "}";
}

std::string store::impl::offer_body(const database& d, const collection& c) const {
  std::string b = "{\"resource\":\"dbs/" + d.rid + "/colls/" + c.rid + "/\",\"offerType\":\"Invalid\",\"offerResourceId\":\"" +
                  c.rid + "\",\"offerVersion\":\"V2\",\"content\":{\"offerThroughput\":";
  append_number(b, c.throughput);
  b += ",\"offerIsRUPerMinuteThroughputEnabled\":false},\"id\":\"" + c.offer_rid + "\",\"_rid\":\"" + c.offer_rid +
       "\",\"_self\":\"offers/" + c.offer_rid + "/\",\"_etag\":" + json_quote(c.offer_etag) +
       ",\"_ts\":" + std::to_string(c.offer_ts) + "}";
  return b;
}

std::unique_ptr<collection> store::impl::make_collection(database& d, std::string id, std::uint32_t number,
                                                         std::int64_t ts, std::string etag, std::string body,
                                                         std::string pk_path, std::uint32_t partitions,
                                                         double throughput, std::uint32_t offer_number,
                                                         std::int64_t offer_ts, std::string offer_etag) {
  auto c = std::make_unique<collection>();
  c->id = std::move(id);
  c->db_number = d.number;
  c->number = number;
  c->rid = collection_rid(d.number, number);
  c->ts = ts;
  c->etag = std::move(etag);
  c->body = std::move(body);
  c->pk_path = std::move(pk_path);
  c->partition_count = std::max<std::uint32_t>(1, partitions);
  c->throughput = throughput;
  c->offer_number = offer_number;
  c->offer_rid = offer_rid(offer_number);
  c->offer_ts = offer_ts;
  c->offer_etag = std::move(offer_etag);
  const auto now = steady_now();
  for (std::uint32_t i = 0; i < c->partition_count; ++i) {
    c->partitions.push_back(std::make_unique<partition>(partition_share(throughput, c->partition_count), now));
  }
  next_coll_number = std::max(next_coll_number, number);
  next_offer_number = std::max(next_offer_number, offer_number);
  return c;
}

// ---- databases ----

op_result store::create_database(std::string_view body) {
  simdjson::dom::element root;
  std::string_view id;
  if (dom_parser().parse(body.data(), body.size()).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return store_error(result_status::bad_request, "database body must be a JSON object such as {\"id\":\"name\"}");
  }
  if (root["id"].get_string().get(id)) return store_error(result_status::bad_request, "database body: \"id\" must be a string");
  if (auto why = check_id(id, "database"); !why.empty()) return store_error(result_status::bad_request, why);
  if (id.size() > 255) return store_error(result_status::bad_request, "database id is longer than 255 characters");
  std::unique_lock lock(impl_->mu);
  if (impl_->find_db(id)) return store_error(result_status::conflict, "database " + json_quote(id) + " already exists", metadata_charge());
  auto d = std::make_unique<database>();
  d->id = std::string(id);
  d->number = ++impl_->next_db_number;
  d->rid = database_rid(d->number);
  d->ts = impl_->unix_now();
  d->etag = impl_->next_etag();
  impl_->log_database(*d);
  auto r = catalog_result(result_status::created, impl::database_body(*d), d->etag);
  impl_->databases.push_back(std::move(d));
  return r;
}

op_result store::read_database(std::string_view db) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return store_error(result_status::not_found, missing_database(db), metadata_charge());
  return catalog_result(result_status::ok, impl::database_body(*d), d->etag);
}

op_result store::delete_database(std::string_view db) {
  std::unique_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return store_error(result_status::not_found, missing_database(db), metadata_charge());
  impl_->record(rec_database_delete, {d->id});
  impl_->log_counters();
  std::erase_if(impl_->databases, [&](const auto& x) { return x.get() == d; });
  return catalog_result(result_status::no_content);
}

op_result store::list_databases() {
  std::shared_lock lock(impl_->mu);
  std::vector<std::string> items;
  for (const auto& d : impl_->databases) items.push_back(impl::database_body(*d));
  return catalog_result(result_status::ok, feed("", "Databases", items));
}

// ---- collections ----

op_result store::create_collection(std::string_view db, std::string_view body, std::optional<double> offer_throughput) {
  simdjson::dom::element root;
  if (dom_parser().parse(body.data(), body.size()).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return store_error(result_status::bad_request, "collection body must be a JSON object with \"id\" and \"partitionKey\"");
  }
  std::string_view id;
  if (root["id"].get_string().get(id)) return store_error(result_status::bad_request, "collection body: \"id\" must be a string");
  if (auto why = check_id(id, "collection"); !why.empty()) return store_error(result_status::bad_request, why);
  if (id.size() > 255) return store_error(result_status::bad_request, "collection id is longer than 255 characters");
  simdjson::dom::object pk;
  if (root["partitionKey"].get_object().get(pk)) {
    return store_error(result_status::bad_request, "collection body: \"partitionKey\" must be an object such as {\"paths\":[\"/pk\"],\"kind\":\"Hash\",\"version\":2}");
  }
  simdjson::dom::array paths;
  if (pk["paths"].get_array().get(paths) || paths.size() == 0) {
    return store_error(result_status::bad_request, "collection body: partitionKey.paths must be a non-empty array of paths such as [\"/pk\"]");
  }
  if (paths.size() > 1) {
    return store_error(result_status::bad_request, "unsupported: hierarchical partition keys (partitionKey.paths has " +
                                                       std::to_string(paths.size()) + " entries; only one is supported)");
  }
  std::string_view path;
  if (paths.at(0).get_string().get(path) || path.size() < 2 || path[0] != '/') {
    return store_error(result_status::bad_request, "collection body: partitionKey.paths[0] must be a path string such as \"/pk\"");
  }
  std::string_view kind = "Hash";
  simdjson::dom::element kind_element;
  if (!pk["kind"].get(kind_element) && kind_element.get_string().get(kind)) {
    return store_error(result_status::bad_request, "collection body: partitionKey.kind must be a string");
  }
  if (kind != "Hash") return store_error(result_status::bad_request, "unsupported: partitionKey.kind " + json_quote(kind) + " (only \"Hash\")");
  std::int64_t version = 2;
  simdjson::dom::element ve;
  if (!pk["version"].get(ve) && ve.get_int64().get(version)) {
    return store_error(result_status::bad_request, "collection body: partitionKey.version must be 1 or 2");
  }
  if (version != 1 && version != 2) return store_error(result_status::bad_request, "collection body: partitionKey.version must be 1 or 2");
  const bool has_indexing = !root["indexingPolicy"].error();
  if (offer_throughput) {
    if (auto why = offer_throughput_error(*offer_throughput); !why.empty()) {
      return store_error(result_status::bad_request, why);
    }
  }
  double throughput = offer_throughput.value_or(impl_->opt.default_throughput);
  if (!(throughput >= 0) || !std::isfinite(throughput)) {
    return store_error(result_status::bad_request, "default throughput must be a number >= 0");
  }
  // The collection body: the client's members (except partitionKey and server-owned ones),
  // then partitionKey, the default indexing policy when absent, and system properties.
  auto members = scan_members(body);
  if (!members) return store_error(result_status::bad_request, "collection body must be a JSON object");
  std::string id_copy(id), path_copy(path), kind_copy(kind);

  std::unique_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return store_error(result_status::not_found, missing_database(db), metadata_charge());
  if (impl::find_coll(*d, id_copy)) {
    return store_error(result_status::conflict, "collection " + json_quote(id_copy) + " already exists in database " + json_quote(d->id), metadata_charge());
  }
  const std::uint32_t number = ++impl_->next_coll_number;
  const std::string rid = collection_rid(d->number, number);
  const std::int64_t ts = impl_->unix_now();
  const std::string etag = impl_->next_etag();
  std::string out = "{";
  bool first = true;
  for (const auto& m : *members) {
    const auto k = m.key(body);
    if (k == "partitionKey" || is_system_property(k) || k == "_docs" || k == "_sprocs" || k == "_triggers" ||
        k == "_udfs" || k == "_conflicts") {
      continue;
    }
    if (!first) out += ',';
    first = false;
    out += body.substr(m.key_begin, m.value_end - m.key_begin);
  }
  if (!first) out += ',';
  if (!has_indexing) {
    out += "\"indexingPolicy\":{\"indexingMode\":\"consistent\",\"automatic\":true,\"includedPaths\":[{\"path\":\"/*\"}],\"excludedPaths\":[{\"path\":\"/\\\"_etag\\\"/?\"}]},";
  }
  out += "\"partitionKey\":{\"paths\":[" + json_quote(path_copy) + "],\"kind\":" + json_quote(kind_copy) +
         ",\"version\":" + std::to_string(version) + "},\"_rid\":\"" + rid + "\",\"_ts\":" + std::to_string(ts) +
         ",\"_self\":\"dbs/" + d->rid + "/colls/" + rid + "/\",\"_etag\":" + json_quote(etag) +
         ",\"_docs\":\"docs/\",\"_sprocs\":\"sprocs/\",\"_triggers\":\"triggers/\",\"_udfs\":\"udfs/\",\"_conflicts\":\"conflicts/\"}";
  auto c = impl_->make_collection(*d, id_copy, number, ts, etag, std::move(out), path_copy, impl_->opt.partitions,
                                  throughput, ++impl_->next_offer_number, ts, impl_->next_etag());
  impl_->log_collection(*d, *c);
  auto r = catalog_result(result_status::created, c->body, c->etag);
  d->collections.push_back(std::move(c));
  return r;
}

op_result store::read_collection(std::string_view db, std::string_view coll) {
  std::shared_lock lock(impl_->mu);
  collection* c = impl_->find_coll(db, coll);
  if (!c) return store_error(result_status::not_found, missing_collection(db, coll), metadata_charge());
  return catalog_result(result_status::ok, c->body, c->etag);
}

op_result store::delete_collection(std::string_view db, std::string_view coll) {
  std::unique_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return store_error(result_status::not_found, missing_collection(db, coll), metadata_charge());
  impl_->record(rec_collection_delete, {d->id, c->id});
  impl_->log_counters();
  std::erase_if(d->collections, [&](const auto& x) { return x.get() == c; });
  return catalog_result(result_status::no_content);
}

op_result store::list_collections(std::string_view db) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return store_error(result_status::not_found, missing_database(db), metadata_charge());
  std::vector<std::string> items;
  for (const auto& c : d->collections) items.push_back(c->body);
  return catalog_result(result_status::ok, feed(d->rid, "DocumentCollections", items));
}

op_result store::list_partition_key_ranges(std::string_view db, std::string_view coll) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return store_error(result_status::not_found, missing_collection(db, coll), metadata_charge());
  std::vector<std::string> items;
  const double fraction = 1.0 / c->partition_count;
  for (std::uint32_t i = 0; i < c->partition_count; ++i) {
    const std::string rid = partition_range_rid(d->number, c->number, i);
    std::string b = "{\"id\":\"" + std::to_string(i) + "\",\"minInclusive\":\"" + range_boundary(i, c->partition_count) +
                    "\",\"maxExclusive\":\"" + range_boundary(i + 1, c->partition_count) + "\",\"ridPrefix\":" +
                    std::to_string(i) + ",\"throughputFraction\":";
    append_number(b, fraction);
    b += ",\"status\":\"online\",\"parents\":[],\"_rid\":\"" + rid + "\",\"_self\":\"dbs/" + d->rid + "/colls/" + c->rid +
         "/pkranges/" + rid + "/\",\"_etag\":" + json_quote(c->etag) + ",\"_ts\":" + std::to_string(c->ts) + "}";
    items.push_back(std::move(b));
  }
  return catalog_result(result_status::ok, feed(c->rid, "PartitionKeyRanges", items), c->etag);
}

// ---- offers ----

op_result store::list_offers() {
  std::shared_lock lock(impl_->mu);
  std::vector<std::string> items;
  for (const auto& d : impl_->databases) {
    for (const auto& c : d->collections) items.push_back(impl_->offer_body(*d, *c));
  }
  return catalog_result(result_status::ok, feed("", "Offers", items));
}

std::pair<database*, collection*> store::impl::find_offer(std::string_view offer_id) const {
  for (const auto& d : databases) {
    for (const auto& c : d->collections) {
      if (c->offer_rid == offer_id) return {d.get(), c.get()};
    }
  }
  return {nullptr, nullptr};
}

op_result store::read_offer(std::string_view offer_id) {
  std::shared_lock lock(impl_->mu);
  const auto [d, c] = impl_->find_offer(offer_id);
  if (!c) return missing_offer(offer_id);
  return catalog_result(result_status::ok, impl_->offer_body(*d, *c), c->offer_etag);
}

op_result store::replace_offer(std::string_view offer_id, std::string_view body) {
  simdjson::dom::element root;
  if (dom_parser().parse(body.data(), body.size()).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return store_error(result_status::bad_request, "offer body must be a JSON object with content.offerThroughput");
  }
  double throughput = 0;
  if (root.at_pointer("/content/offerThroughput").get_double().get(throughput)) {
    return store_error(result_status::bad_request, "offer body: content.offerThroughput must be a number");
  }
  if (auto why = offer_throughput_error(throughput); !why.empty()) {
    return store_error(result_status::bad_request, "offer body: " + why);
  }
  std::unique_lock lock(impl_->mu);
  const auto [d, c] = impl_->find_offer(offer_id);
  if (!c) return missing_offer(offer_id);
  c->throughput = throughput;
  c->offer_ts = impl_->unix_now();
  c->offer_etag = impl_->next_etag();
  const auto now = impl_->steady_now();
  for (auto& p : c->partitions) {
    std::lock_guard plock(p->mutex);
    p->bucket.set_rate(partition_share(throughput, c->partition_count), now);
  }
  impl_->log_offer(*d, *c);
  return catalog_result(result_status::ok, impl_->offer_body(*d, *c), c->offer_etag);
}

op_result store::query_offers(const parsed_query& q) {
  std::shared_lock lock(impl_->mu);
  std::vector<std::string> items;
  std::uint64_t count = 0;
  for (const auto& d : impl_->databases) {
    for (const auto& c : d->collections) {
      std::string b = impl_->offer_body(*d, *c);
      if (!evaluator().matches(q.where, b)) continue;
      ++count;
      if (q.select == select_kind::projection) {
        items.push_back(evaluator().project(q.projection, b));
      } else if (q.select == select_kind::all) {
        items.push_back(std::move(b));
      }
    }
  }
  if (q.select == select_kind::count) items.push_back(std::to_string(count));
  return catalog_result(result_status::ok, feed("", "Offers", items));
}

}  // namespace idabus::emulator
