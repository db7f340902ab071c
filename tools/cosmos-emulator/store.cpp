#include "tools/cosmos-emulator/store.hpp"

#include "tools/cosmos-emulator/store_impl.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"


namespace idabus::emulator {

namespace {

std::int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

op_result store_error(result_status s, std::string message, double charge) {
  op_result r;
  r.status = s;
  r.message = std::move(message);
  r.request_charge = charge;
  return r;
}

query_page page_error(result_status s, std::string message) {
  query_page p;
  p.status = s;
  p.message = std::move(message);
  return p;
}

std::string throttled_message(std::uint32_t p) {
  return "Request rate is large: partition key range " + std::to_string(p) +
         " used its share of the provisioned throughput";
}

op_result throttled_result(std::chrono::milliseconds wait, std::uint32_t p) {
  op_result r = store_error(result_status::throttled, throttled_message(p));
  r.retry_after = wait;
  r.range_id = std::to_string(p);
  return r;
}

std::string missing_collection(std::string_view db, std::string_view coll) {
  return "collection " + json_quote(coll) + " does not exist in database " + json_quote(db);
}

std::string missing_database(std::string_view db) { return "database " + json_quote(db) + " does not exist"; }

std::string check_id(std::string_view id, std::string_view what) {
  if (id.empty()) return std::string(what) + " id must not be empty";
  if (id.size() > 1023) return std::string(what) + " id is longer than 1023 bytes";
  for (char c : id) {
    if (c == '/' || c == '\\' || c == '?' || c == '#') {
      return std::string(what) + " id must not contain '/', '\\', '?' or '#' (got " + json_quote(id) + ")";
    }
  }
  return {};
}

std::string feed(std::string_view rid, std::string_view key, const std::vector<std::string>& items) {
  std::string out = "{\"_rid\":";
  out += json_quote(rid);
  out += ",\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  out += "],\"_count\":";
  out += std::to_string(items.size());
  out += '}';
  return out;
}

simdjson::dom::parser& dom_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

query_evaluator& evaluator() {
  thread_local query_evaluator e;
  return e;
}

std::string query_page::body() const {
  std::size_t total = 64;
  for (const auto& d : documents) total += d->size() + 1;
  std::string out;
  out.reserve(total);
  out += "{\"_rid\":";
  out += json_quote(collection_rid);
  out += ",\"Documents\":[";
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (i) out += ',';
    out += *documents[i];
  }
  out += "],\"_count\":";
  out += std::to_string(documents.size());
  out += '}';
  return out;
}

const parsed_query& select_all_query() {
  static const parsed_query q = *parse_query("SELECT * FROM c").query;
  return q;
}

store::impl::steady::time_point store::impl::steady_now() const {
  return opt.steady_now ? opt.steady_now() : steady::now();
}

std::int64_t store::impl::unix_now() const { return opt.unix_now ? opt.unix_now() : system_unix_now(); }

std::string store::impl::next_etag() { return make_etag(++etag_seq); }

store::store(store_options options) : impl_(std::make_unique<impl>()) {
  impl_->opt = std::move(options);
  if (impl_->opt.partitions == 0) impl_->opt.partitions = 1;
  impl_->etag_seq = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  if (!impl_->opt.data_dir.empty()) impl_->open_log();
}

store::~store() {
  // The log's threads call into impl_: stop them before anything else goes.
  if (impl_->log) impl_->log->stop();
  try {
    flush();
  } catch (...) {
  }
}

store_stats store::stats() const {
  store_stats s;
  std::shared_lock lock(impl_->mu);
  s.databases = impl_->databases.size();
  for (const auto& d : impl_->databases) {
    s.collections += d->collections.size();
    for (const auto& c : d->collections) {
      for (const auto& p : c->partitions) {
        std::lock_guard plock(p->mutex);
        s.documents += p->size();
        s.document_bytes += p->bytes();
      }
    }
  }
  if (impl_->log) s.log_bytes = impl_->log->size_bytes();
  return s;
}

}  // namespace idabus::emulator
