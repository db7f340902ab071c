#include "io/cosmos/client.hpp"

#include "io/cosmos/auth.hpp"
#include "io/cosmos/errors.hpp"
#include "io/json/write.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace idabus::io::cosmos {

namespace {

using io::json::json_quote;

std::string encoded_path(std::string_view unescaped) {
  std::string out;
  std::size_t pos = 0;
  while (pos < unescaped.size()) {
    const std::size_t slash = unescaped.find('/', pos);
    if (slash == pos) {
      out.push_back('/');
      ++pos;
      continue;
    }
    const std::size_t end = slash == std::string_view::npos ? unescaped.size() : slash;
    out += http::percent_encode_path_segment(unescaped.substr(pos, end - pos));
    pos = end;
  }
  return out.empty() ? std::string("/") : out;
}

/// x-ms-request-charge; std::nullopt when absent or not a number.
std::optional<double> charge_of(std::string_view header) {
  double v = 0;
  const auto r = std::from_chars(header.data(), header.data() + header.size(), v);
  if (header.empty() || r.ec != std::errc()) return std::nullopt;
  return v;
}

double parse_charge(std::string_view header) { return charge_of(header).value_or(0); }

document_response to_document_response(http::response response) {
  document_response out;
  out.status = response.status;
  out.etag = std::string(response.header("etag"));
  out.request_charge = parse_charge(response.header("x-ms-request-charge"));
  out.body = std::move(response.body);
  return out;
}

int parse_int(std::string_view header) {
  int v = 0;
  const auto r = std::from_chars(header.data(), header.data() + header.size(), v);
  return r.ec == std::errc() ? v : 0;
}

std::string coll_path(const std::string& db, const std::string& coll) { return "/dbs/" + db + "/colls/" + coll; }

/// The request gate's key for a request to `range_id` ("" = no single range) of a collection.
gate_key gate_key_of(const std::string& db, const std::string& coll, std::string range_id = {}) {
  return gate_key{coll_path(db, coll).substr(1), std::move(range_id)};
}

net::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::use_awaitable);
}

/// Whether an operation may be sent twice. A create answers 409 the second time and an If-Match
/// replace 412 (its first run changed the etag), so neither is resent after a timeout or reset.
/// A delete is: the second run answers 404, which reads as "was already gone".
bool may_resend(bulk_operation_type type, bool has_if_match) {
  if (type == bulk_operation_type::create) return false;
  if (type == bulk_operation_type::replace) return !has_if_match;
  return true;
}

}  // namespace

struct client::call {
  std::string operation;  ///< "upsert document"
  std::string method;
  std::string path;       ///< unescaped
  http::header_list headers;
  std::string body;
  gate_key key;  ///< where the RU gate charges it; key.collection is also the cost model's
  /// The cost model's line for this request: (key.collection, kind, bytes).
  operation_kind cost_kind = operation_kind::metadata;
  std::size_t cost_bytes = 0;
  /// Fixed estimate (bulk: the sum over its operations, which train the model one by one);
  /// std::nullopt: from the cost model, which the response's charge then trains.
  std::optional<double> fixed_estimate;
  std::vector<unsigned> accepted;  ///< non-2xx statuses handed back as values
  bool surface_range_gone = false;
  /// Running it twice leaves the same state (reads, queries, upserts, deletes, plain replaces):
  /// only then is a timeout or reset after sending retried. connect_failed is always retried.
  bool idempotent = false;
  bool success_is_progress = true;  ///< false for bulk: a 207 full of 429s is no progress
  bool pooled_body = false;  ///< the response body in a buffer of the HTTP client's pool (pages)
  std::uint64_t* throttled_responses = nullptr;  ///< optional: counts the 429s execute() waited out
  std::uint64_t* transient_retries = nullptr;    ///< optional: counts the other re-sends (backoff)
};

namespace {

// The request of one document upsert (upsert_document, and each of upsert_each's), charged to `key`.
client::call upsert_call(const std::string& database, const std::string& collection, gate_key key, std::string body,
                         const std::vector<pk_component>& partition_key) {
  client::call c;
  c.operation = "upsert document";
  c.method = "POST";
  c.path = coll_path(database, collection) + "/docs";
  c.key = std::move(key);
  c.headers.emplace_back("x-ms-documentdb-is-upsert", "True");
  c.headers.emplace_back("x-ms-documentdb-partitionkey", partition_key_header(partition_key));
  c.cost_kind = operation_kind::point_write;
  c.cost_bytes = body.size();
  c.body = std::move(body);
  c.idempotent = true;  // an upsert of the same body is idempotent
  return c;
}

}  // namespace

http::client_options http_options_for(const connection_string& cs, http::client_options base) {
  if (cs.disable_server_certificate_validation) base.verify_peer = false;
  return base;
}

http::endpoint endpoint_of(const connection_string& cs) { return http::parse_url(cs.endpoint).endpoint(); }

std::string query_body(const query_spec& spec) {
  std::string out = "{\"query\":" + json_quote(spec.text) + ",\"parameters\":[";
  bool first = true;
  for (const auto& p : spec.parameters) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"name\":" + json_quote(p.name) + ",\"value\":" + p.json_value + "}";
  }
  out += "]}";
  return out;
}

client::client(http::client& http, connection_string cs, client_options options)
    : http_(http),
      cs_(std::move(cs)),
      options_(std::move(options)),
      costs_(options_.costs ? options_.costs : &own_costs_),
      rng_(options_.jitter_seed ? options_.jitter_seed : std::random_device{}()),
      last_progress_(std::chrono::steady_clock::now()) {}

void client::log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

net::awaitable<http::response> client::execute(call c) {
  const resource_address address = address_of(c.path);
  const std::string target = encoded_path(c.path);
  const auto started = std::chrono::steady_clock::now();
  int transient_attempts = 0;
  const double estimate =
      c.fixed_estimate ? *c.fixed_estimate : costs_->estimate(c.key.collection, c.cost_kind, c.cost_bytes);
  for (;;) {
    // Wait for the budget first, then sign: a long wait must not age x-ms-date (the service
    // rejects a date more than 15 minutes old with 403).
    if (options_.gate) co_await options_.gate->acquire(c.key, estimate);
    http::request req;
    req.method = c.method;
    req.target = target;
    req.headers = c.headers;
    req.body = c.body;
    req.idempotent = c.idempotent;
    req.pooled_body = c.pooled_body;
    const std::string date = http_date(std::chrono::system_clock::now());
    req.headers.emplace_back("x-ms-date", date);
    req.headers.emplace_back("authorization", authorization_header(cs_.decoded_key, c.method, address, date));
    req.headers.emplace_back("x-ms-version", options_.api_version);
    req.headers.emplace_back("x-ms-documentdb-query-enablecrosspartition", "True");
    req.headers.emplace_back("Accept", "application/json");
    if (!req.body.empty() && !http::has_header(req.headers, "Content-Type")) {
      req.headers.emplace_back("Content-Type", "application/json");
    }

    std::optional<http::response> response;
    std::string transport_failure;
    try {
      response = co_await http_.request(std::move(req));
    } catch (const http::transport_error& e) {
      using kind = http::transport_error_kind;
      if (options_.gate) options_.gate->settle(c.key, estimate, e.kind() == kind::connect_failed ? 0 : estimate);
      // connect_failed: never sent, always safe. The others happen after (part of) the request
      // was sent, so the server may have executed it: resend only what may run twice.
      const bool maybe_executed = e.kind() == kind::timeout || e.kind() == kind::connection_reset ||
                                  e.kind() == kind::protocol_error;
      const bool retryable = e.kind() == kind::connect_failed || (maybe_executed && c.idempotent);
      if (!retryable || ++transient_attempts >= options_.retry.max_transient_attempts) throw;
      if (c.transient_retries) ++*c.transient_retries;
      transport_failure = e.what();
    }
    if (!response) {
      const auto delay = backoff_delay(options_.retry, transient_attempts, rng_);
      log(c.operation + " on " + address.resource_link + ": " + transport_failure + "; retrying in " +
          std::to_string(delay.count()) + " ms (attempt " + std::to_string(transient_attempts + 1) + ")");
      co_await sleep_for(delay);
      continue;
    }

    // A response without a charge settles at the estimate: settling 0 would hand the budget
    // RU the server may well have spent.
    const std::optional<double> charge = charge_of(response->header("x-ms-request-charge"));
    if (options_.gate) options_.gate->settle(c.key, estimate, charge.value_or(estimate));
    const unsigned status = response->status;
    if (charge && !c.fixed_estimate && status >= 200 && status < 300) {
      costs_->observe(c.key.collection, c.cost_kind, c.cost_bytes, *charge);
    }
    if ((status >= 200 && status < 300) || std::find(c.accepted.begin(), c.accepted.end(), status) != c.accepted.end()) {
      if (c.success_is_progress) last_progress_ = std::chrono::steady_clock::now();
      co_return std::move(*response);
    }
    const int substatus = parse_int(response->header("x-ms-substatus"));
    auto error = [&] {
      return cosmos_error(error_details{c.operation, address.resource_link, status, substatus,
                                        std::string(response->header("x-ms-activity-id")),
                                        server_message_of(response->body_view())});
    };
    const failure_class kind = classify(status, substatus);
    if (kind == failure_class::throttled) {
      auto wait = parse_retry_after(response->header("x-ms-retry-after-ms"));
      if (wait.count() < 0) wait = options_.retry.default_retry_after;
      if (options_.gate) options_.gate->throttled(c.key, wait);
      if (c.throttled_responses) ++*c.throttled_responses;
      const auto now = std::chrono::steady_clock::now();
      const auto progress = std::max(last_progress_, started);
      if (now + wait - progress > options_.retry.throttle_give_up_after) {
        log(c.operation + " on " + address.resource_link + ": throttled with no progress for " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - progress).count()) + " s; giving up");
        throw error();
      }
      // One wait: a gate holds this key's next acquire until retry_after (request_gate.hpp).
      if (!options_.gate) co_await sleep_for(wait);
      continue;
    }
    if (kind == failure_class::range_gone && c.surface_range_gone) throw error();
    if (kind == failure_class::transient || kind == failure_class::range_gone) {
      if (++transient_attempts >= options_.retry.max_transient_attempts) throw error();
      if (c.transient_retries) ++*c.transient_retries;
      const auto delay = backoff_delay(options_.retry, transient_attempts, rng_);
      log(c.operation + " on " + address.resource_link + ": HTTP " + std::to_string(status) +
          (substatus ? "/" + std::to_string(substatus) : std::string()) + "; retrying in " +
          std::to_string(delay.count()) + " ms (attempt " + std::to_string(transient_attempts + 1) + ")");
      co_await sleep_for(delay);
      continue;
    }
    throw error();
  }
}

net::awaitable<std::string> client::read_account() {
  call c;
  c.operation = "read account";
  c.method = "GET";
  c.path = "/";
  c.idempotent = true;
  auto response = co_await execute(std::move(c));
  co_return std::move(response.body);
}

net::awaitable<bool> client::create_database_if_missing(std::string database, std::optional<int> throughput) {
  call c;
  c.operation = "create database " + database;
  c.method = "POST";
  c.path = "/dbs";
  c.body = "{\"id\":" + json_quote(database) + "}";
  if (throughput) c.headers.emplace_back("x-ms-offer-throughput", std::to_string(*throughput));
  c.accepted = {409};
  c.idempotent = true;  // a resend after a timeout answers 409, which is accepted: it exists either way
  auto response = co_await execute(std::move(c));
  co_return response.status != 409;
}

net::awaitable<bool> client::create_collection_if_missing(std::string database, std::string collection,
                                                          std::string partition_key_path,
                                                          std::optional<int> throughput) {
  if (partition_key_path.empty() || partition_key_path.front() != '/') partition_key_path.insert(0, "/");
  call c;
  c.operation = "create collection " + collection;
  c.method = "POST";
  c.path = "/dbs/" + database + "/colls";
  c.body = "{\"id\":" + json_quote(collection) + ",\"partitionKey\":{\"paths\":[" + json_quote(partition_key_path) +
           "],\"kind\":\"Hash\",\"version\":2}}";
  if (throughput) c.headers.emplace_back("x-ms-offer-throughput", std::to_string(*throughput));
  c.accepted = {409};
  c.idempotent = true;  // a resend after a timeout answers 409, which is accepted: it exists either way
  auto response = co_await execute(std::move(c));
  co_return response.status != 409;
}

net::awaitable<std::vector<pk_range>> client::read_partition_key_ranges(std::string database, std::string collection) {
  call c;
  c.operation = "read partition key ranges";
  c.method = "GET";
  c.path = coll_path(database, collection) + "/pkranges";
  c.key = gate_key_of(database, collection);
  c.idempotent = true;
  auto response = co_await execute(std::move(c));
  auto ranges = parse_partition_key_ranges(response.body);
  if (options_.gate) {
    std::vector<std::string> ids;
    for (const auto& r : ranges) ids.push_back(r.id);
    options_.gate->ranges_changed(coll_path(database, collection).substr(1), std::move(ids));
  }
  co_return ranges;
}

net::awaitable<std::vector<pk_range>> client::ranges(std::string database, std::string collection) {
  co_return co_await ranges_for(std::move(database), std::move(collection), false);
}

net::awaitable<std::vector<pk_range>> client::ranges_for(std::string database, std::string collection, bool refresh) {
  const std::string key = database + "/" + collection;
  if (!refresh) {
    if (auto it = range_cache_.find(key); it != range_cache_.end()) co_return it->second;
  }
  auto ranges = co_await read_partition_key_ranges(database, collection);
  range_cache_[key] = ranges;
  co_return ranges;
}

namespace {

// One page reader per partition key path and thread (a reader is not thread-safe; it keeps its parser).
std::map<std::string, json::page_reader>& query_page_readers() {
  thread_local std::map<std::string, json::page_reader> readers;
  return readers;
}

}  // namespace

std::uint64_t query_body_bytes_copied_on_this_thread() noexcept {
  std::uint64_t bytes = 0;
  for (const auto& [path, reader] : query_page_readers()) bytes += reader.copied_bytes();
  return bytes;
}

net::awaitable<query_page> client::query(page_request request) {
  call c;
  c.operation = "query documents";
  c.method = "POST";
  c.path = coll_path(request.database, request.collection) + "/docs";
  c.key = gate_key_of(request.database, request.collection, request.range_id.value_or(""));
  c.body = query_body(request.query);
  c.headers.emplace_back("Content-Type", "application/query+json");
  c.headers.emplace_back("x-ms-documentdb-isquery", "True");
  c.headers.emplace_back("x-ms-max-item-count", std::to_string(request.max_item_count));
  if (request.continuation) c.headers.emplace_back("x-ms-continuation", *request.continuation);
  if (request.range_id) {
    c.headers.emplace_back("x-ms-documentdb-partitionkeyrangeid", *request.range_id);
    c.surface_range_gone = true;
  }
  c.cost_kind = operation_kind::query_page;
  c.idempotent = true;  // a query has no side effects
  c.pooled_body = true;  // page bodies are large: recycled buffers, read without a copy
  auto response = co_await execute(std::move(c));
  query_page page;
  page.request_charge = parse_charge(response.header("x-ms-request-charge"));
  if (const auto cont = response.header("x-ms-continuation"); !cont.empty()) page.continuation = std::string(cont);
  page.range_id = request.range_id.value_or("");
  // The last owner of the page body (often another thread) returns its buffer to the pool.
  auto body = std::make_shared<const http::body_buffer>(std::move(response.pooled_body));
  auto& readers = query_page_readers();
  auto it = readers.find(request.partition_key_path);
  if (it == readers.end()) it = readers.emplace(request.partition_key_path, json::page_reader(request.partition_key_path)).first;
  auto split = it->second.split_in_place(body->view(), body->capacity());  // the HTTP client leaves the padding
  page.documents = std::move(split.documents);
  page.body = std::move(body);
  co_return page;
}

net::awaitable<std::optional<document_response>> client::read_document(std::string database, std::string collection,
                                                                       std::string id, std::vector<pk_component> key) {
  call c;
  c.operation = "read document";
  c.method = "GET";
  c.path = coll_path(database, collection) + "/docs/" + id;
  c.key = gate_key_of(database, collection);
  c.headers.emplace_back("x-ms-documentdb-partitionkey", partition_key_header(key));
  c.cost_kind = operation_kind::read;
  c.accepted = {404};
  c.idempotent = true;
  auto response = co_await execute(std::move(c));
  if (response.status == 404) co_return std::nullopt;
  co_return to_document_response(std::move(response));
}

net::awaitable<document_response> client::upsert_document(std::string database, std::string collection, std::string body,
                                                          std::vector<pk_component> key) {
  auto response = co_await execute(upsert_call(database, collection, gate_key_of(database, collection), std::move(body), key));
  co_return to_document_response(std::move(response));
}

net::awaitable<document_response> client::replace_document(std::string database, std::string collection, std::string id,
                                                           std::string body, std::vector<pk_component> key,
                                                           std::string if_match) {
  call c;
  c.operation = "replace document";
  c.method = "PUT";
  c.path = coll_path(database, collection) + "/docs/" + id;
  c.key = gate_key_of(database, collection);
  c.headers.emplace_back("x-ms-documentdb-partitionkey", partition_key_header(key));
  if (!if_match.empty()) c.headers.emplace_back("If-Match", if_match);
  c.cost_kind = operation_kind::point_write;
  c.cost_bytes = body.size();
  c.body = std::move(body);
  c.idempotent = may_resend(bulk_operation_type::replace, !if_match.empty());
  auto response = co_await execute(std::move(c));
  co_return to_document_response(std::move(response));
}

net::awaitable<bool> client::delete_document(std::string database, std::string collection, std::string id,
                                             std::vector<pk_component> key, std::string if_match) {
  call c;
  c.operation = "delete document";
  c.method = "DELETE";
  c.path = coll_path(database, collection) + "/docs/" + id;
  c.key = gate_key_of(database, collection);
  c.headers.emplace_back("x-ms-documentdb-partitionkey", partition_key_header(key));
  if (!if_match.empty()) c.headers.emplace_back("If-Match", if_match);
  c.cost_kind = operation_kind::point_write;
  c.accepted = {404};
  c.idempotent = may_resend(bulk_operation_type::remove, !if_match.empty());
  auto response = co_await execute(std::move(c));
  co_return response.status != 404;
}

namespace {

std::vector<bulk_operation> subset_of(const std::vector<bulk_operation>& operations,
                                      const std::vector<std::size_t>& indexes) {
  std::vector<bulk_operation> out;
  out.reserve(indexes.size());
  for (std::size_t index : indexes) out.push_back(operations[index]);
  return out;
}

/// Results of `part` (sent for outcome's operations at `indexes`) go to their places.
void merge_into(bulk_outcome& outcome, const std::vector<std::size_t>& indexes, bulk_outcome part) {
  for (std::size_t k = 0; k < indexes.size(); ++k) outcome.results[indexes[k]] = std::move(part.results[k]);
  outcome.add_counters(part);
}

}  // namespace

void bulk_outcome::add_counters(const bulk_outcome& other) noexcept {
  requests += other.requests;
  throttled_operations += other.throttled_operations;
  retried_operations += other.retried_operations;
  request_charge += other.request_charge;
}

net::awaitable<std::vector<bulk_result>> client::bulk(std::string database, std::string collection,
                                                      std::vector<bulk_operation> operations) {
  auto outcome = co_await bulk_routed(std::move(database), std::move(collection), std::move(operations), 0);
  co_return std::move(outcome.results);
}

net::awaitable<bulk_outcome> client::bulk_range(std::string database, std::string collection, std::string range_id,
                                                std::vector<bulk_operation> operations) {
  co_return co_await send_to_range(std::move(database), std::move(collection), std::move(range_id),
                                   std::move(operations), 0);
}

// Routing and batching: operations by range (EPK), each range's operations cut into requests.
net::awaitable<bulk_outcome> client::bulk_routed(std::string database, std::string collection,
                                                 std::vector<bulk_operation> operations, int refreshes) {
  bulk_outcome outcome;
  outcome.results.resize(operations.size());
  std::vector<std::string> epks;
  epks.reserve(operations.size());
  for (const auto& op : operations) epks.push_back(effective_partition_key_v2(op.partition_key));
  std::vector<std::size_t> all(operations.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto ranges = co_await ranges_for(database, collection, false);
  std::map<std::string, std::vector<std::size_t>> groups;
  try {
    groups = group_by_range(ranges, epks, all);
  } catch (const std::out_of_range& e) {
    throw cosmos_error(error_details{"bulk", coll_path(database, collection).substr(1), 0, 0, "", e.what()});
  }
  for (auto& [range_id, indexes] : groups) {
    std::size_t next = 0;
    while (next < indexes.size()) {
      bulk_batch_builder builder;
      std::vector<std::size_t> batch;
      while (next < indexes.size()) {
        const std::string entry = bulk_entry(operations[indexes[next]]);
        if (!builder.fits(entry.size(), 0)) break;
        builder.add(entry, 0);
        batch.push_back(indexes[next++]);
      }
      std::vector<bulk_operation> ops;
      ops.reserve(batch.size());
      for (std::size_t index : batch) ops.push_back(std::move(operations[index]));
      auto sent = co_await send_to_range(database, collection, range_id, std::move(ops), refreshes);
      merge_into(outcome, batch, std::move(sent));
    }
  }
  co_return outcome;
}

// Response handling: one request to one range, re-sending the operations that are not final.
net::awaitable<bulk_outcome> client::send_to_range(std::string database, std::string collection, std::string range_id,
                                                   std::vector<bulk_operation> operations, int refreshes) {
  const std::string link = coll_path(database, collection).substr(1);
  bulk_outcome outcome;
  outcome.results.resize(operations.size());
  std::vector<std::string> entries;
  entries.reserve(operations.size());
  for (const auto& op : operations) entries.push_back(bulk_entry(op));
  std::vector<std::size_t> pending(operations.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  const auto started = std::chrono::steady_clock::now();
  int rounds = 0;
  while (!pending.empty()) {
    // After a split the refreshed cache no longer lists the parent: go to its children directly.
    const auto cached = co_await ranges_for(database, collection, false);
    const bool known = std::any_of(cached.begin(), cached.end(), [&](const pk_range& r) { return r.id == range_id; });
    if (!known) {
      auto routed = co_await reroute(database, collection, subset_of(operations, pending), refreshes);
      merge_into(outcome, pending, std::move(routed));
      break;
    }
    std::string body = "[";
    double estimate = 0;
    for (std::size_t index : pending) {
      if (body.size() > 1) body.push_back(',');
      body += entries[index];
      estimate += costs_->estimate(link, operation_kind::bulk_write, operations[index].body.size());
    }
    body.push_back(']');
    call c;
    c.operation = "bulk";
    c.method = "POST";
    c.path = coll_path(database, collection) + "/docs";
    c.headers.emplace_back("x-ms-cosmos-is-batch-request", "True");
    c.headers.emplace_back("x-ms-cosmos-batch-atomic", "False");
    c.headers.emplace_back("x-ms-cosmos-batch-continue-on-error", "True");
    c.headers.emplace_back("x-ms-documentdb-partitionkeyrangeid", range_id);
    c.body = std::move(body);
    c.key = gate_key_of(database, collection, range_id);
    c.cost_kind = operation_kind::bulk_write;
    c.fixed_estimate = estimate;
    c.surface_range_gone = true;
    c.success_is_progress = false;
    c.idempotent = std::all_of(pending.begin(), pending.end(), [&](std::size_t index) {
      return may_resend(operations[index].type, !operations[index].if_match.empty());
    });
    std::uint64_t throttled_requests = 0;  // whole-request 429s: every operation in it was throttled
    c.throttled_responses = &throttled_requests;
    std::optional<http::response> response;
    try {
      response = co_await execute(std::move(c));
    } catch (const cosmos_error& e) {
      if (classify(e.status(), e.substatus()) != failure_class::range_gone) throw;
      log("bulk on range " + range_id + ": HTTP 410/" + std::to_string(e.substatus()) + "; re-reading ranges");
    }
    outcome.requests += 1 + throttled_requests;
    outcome.throttled_operations += throttled_requests * pending.size();
    outcome.retried_operations += throttled_requests * pending.size();
    if (!response) {
      auto routed = co_await reroute(database, collection, subset_of(operations, pending), refreshes);
      merge_into(outcome, pending, std::move(routed));
      break;
    }
    auto parsed = parse_bulk_response(response->body, pending.size());
    double operations_charge = 0;
    std::vector<std::size_t> retry;
    std::vector<std::size_t> gone;
    std::chrono::milliseconds wait{0};
    bool throttled = false;
    bool progress = false;
    for (std::size_t k = 0; k < parsed.size(); ++k) {
      const std::size_t index = pending[k];
      bulk_result& r = parsed[k];
      operations_charge += r.request_charge.value_or(0);
      switch (bulk_disposition_of(r)) {
        case bulk_disposition::done:
          if (r.status >= 200 && r.status < 300) {
            // An operation without requestCharge teaches nothing (learning 0 would drag estimates down).
            if (r.request_charge) {
              costs_->observe(link, operation_kind::bulk_write, operations[index].body.size(), *r.request_charge);
            }
            progress = true;
          }
          outcome.results[index] = std::move(r);
          break;
        case bulk_disposition::retry: {
          retry.push_back(index);
          ++outcome.retried_operations;
          const bool is_429 = r.status == 429;
          if (is_429) {
            ++outcome.throttled_operations;
            throttled = true;
          }
          auto delay = r.retry_after;
          if (delay.count() < 0) {
            delay = is_429 ? options_.retry.default_retry_after : backoff_delay(options_.retry, rounds + 1, rng_);
          }
          wait = std::max(wait, delay);
          break;
        }
        case bulk_disposition::range_gone:
          gone.push_back(index);
          break;
      }
    }
    outcome.request_charge += charge_of(response->header("x-ms-request-charge")).value_or(operations_charge);
    if (progress) last_progress_ = std::chrono::steady_clock::now();
    if (!gone.empty()) {
      log("bulk on range " + range_id + ": " + std::to_string(gone.size()) +
          " operation(s) answered 410 (range gone); re-reading ranges");
      auto routed = co_await reroute(database, collection, subset_of(operations, gone), refreshes);
      merge_into(outcome, gone, std::move(routed));
    }
    if (!retry.empty()) {
      ++rounds;
      if (throttled && options_.gate) options_.gate->throttled(gate_key_of(database, collection, range_id), wait);
      if (std::chrono::steady_clock::now() + wait - std::max(last_progress_, started) >
          options_.retry.throttle_give_up_after) {
        throw cosmos_error(error_details{"bulk", link, 429, 0, "",
                                         std::to_string(retry.size()) + " operations still not accepted after " +
                                             std::to_string(options_.retry.throttle_give_up_after.count()) +
                                             " ms without progress"});
      }
      // One wait: after a 429 the gate holds the range's next acquire for `wait` (request_gate.hpp).
      if (!(throttled && options_.gate)) co_await sleep_for(wait);
    }
    pending = std::move(retry);
  }
  co_return outcome;
}

net::awaitable<bulk_outcome> client::upsert_each(std::string database, std::string collection, std::string range_id,
                                                 std::vector<bulk_operation> operations) {
  for (const auto& op : operations) {
    if (op.type != bulk_operation_type::upsert) throw std::invalid_argument("upsert_each: every operation must be an upsert");
  }
  bulk_outcome outcome;
  outcome.results.resize(operations.size());
  if (operations.empty()) co_return outcome;
  auto executor = co_await net::this_coro::executor;
  using operation = decltype(net::co_spawn(executor, std::declval<net::awaitable<void>>(), net::deferred));
  std::vector<operation> requests;
  requests.reserve(operations.size());
  for (std::size_t i = 0; i < operations.size(); ++i) {
    requests.push_back(net::co_spawn(
        executor, upsert_one(database, collection, range_id, std::move(operations[i]), i, outcome), net::deferred));
  }
  auto group = net::experimental::make_parallel_group(std::move(requests));
  auto wait = group.async_wait(net::experimental::wait_for_one_error(), net::use_awaitable);
  auto done = co_await std::move(wait);
  auto& [order, errors] = done;
  // The first failure in completion order is the cause; the ones after it were cancelled by it.
  for (std::size_t index : order) {
    if (errors[index]) std::rethrow_exception(errors[index]);
  }
  co_return outcome;
}

net::awaitable<void> client::upsert_one(std::string database, std::string collection, std::string range_id,
                                        bulk_operation operation, std::size_t index, bulk_outcome& outcome) {
  auto c = upsert_call(database, collection, gate_key_of(database, collection, std::move(range_id)),
                       std::move(operation.body), operation.partition_key);
  // The document's own refusal (malformed, a unique key taken, too large): its result, not the job's.
  c.accepted = {400, 409, 413};
  std::uint64_t throttled = 0;
  std::uint64_t retried = 0;
  c.throttled_responses = &throttled;
  c.transient_retries = &retried;
  auto response = co_await execute(std::move(c));
  const std::optional<double> charge = charge_of(response.header("x-ms-request-charge"));
  bulk_result r;
  r.status = response.status;
  r.substatus = parse_int(response.header("x-ms-substatus"));
  r.request_charge = charge;
  r.etag = std::string(response.header("etag"));
  if (r.status < 200 || r.status >= 300) r.message = server_message_of(response.body);
  outcome.results[index] = std::move(r);
  outcome.requests += 1 + throttled + retried;
  outcome.throttled_operations += throttled;
  outcome.retried_operations += throttled + retried;
  outcome.request_charge += charge.value_or(0);
}

net::awaitable<bulk_outcome> client::reroute(std::string database, std::string collection,
                                             std::vector<bulk_operation> operations, int refreshes) {
  if (refreshes + 1 > options_.retry.max_range_refreshes) {
    throw cosmos_error(error_details{"bulk", coll_path(database, collection).substr(1), 410, 1002, "",
                                     "partition key ranges kept moving after " +
                                         std::to_string(options_.retry.max_range_refreshes) + " refreshes"});
  }
  co_await ranges_for(database, collection, true);
  co_return co_await bulk_routed(std::move(database), std::move(collection), std::move(operations), refreshes + 1);
}

net::awaitable<std::optional<client::offer_info>> client::find_offer(std::string database, std::string collection) {
  call meta;
  meta.operation = "read collection";
  meta.method = "GET";
  meta.path = coll_path(database, collection);
  meta.key = gate_key_of(database, collection);
  meta.idempotent = true;
  auto coll = co_await execute(std::move(meta));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view view;
  if (parser.parse(coll.body.data(), coll.body.size(), true).get(root) || root["_rid"].get_string().get(view)) {
    throw json::parse_error("collection body has no '_rid'");
  }
  offer_info info;
  info.collection_rid = std::string(view);
  if (root["_self"].get_string().get(view) == simdjson::SUCCESS) info.collection_self = std::string(view);
  call list;
  list.operation = "list offers";
  list.method = "GET";
  list.path = "/offers";
  list.accepted = {400, 404};
  list.idempotent = true;
  auto offers = co_await execute(std::move(list));
  if (offers.status == 400 || offers.status == 404) co_return std::nullopt;
  simdjson::dom::array array;
  if (parser.parse(offers.body.data(), offers.body.size(), true).get(root) || root["Offers"].get_array().get(array)) {
    throw json::parse_error("offers body has no 'Offers' array");
  }
  for (simdjson::dom::element offer : array) {
    std::string_view resource_id;
    if (offer["offerResourceId"].get_string().get(resource_id) || resource_id != info.collection_rid) continue;
    if (offer["_rid"].get_string().get(view) == simdjson::SUCCESS) info.offer_rid = std::string(view);
    if (offer["id"].get_string().get(view) == simdjson::SUCCESS) info.offer_id = std::string(view);
    if (offer["resource"].get_string().get(view) == simdjson::SUCCESS) info.offer_self = std::string(view);
    std::int64_t value = 0;
    if (offer["content"]["offerThroughput"].get_int64().get(value) == simdjson::SUCCESS) {
      info.throughput = static_cast<int>(value);
    }
    co_return info;
  }
  co_return std::nullopt;
}

net::awaitable<std::optional<int>> client::read_throughput(std::string database, std::string collection) {
  auto info = co_await find_offer(std::move(database), std::move(collection));
  if (!info) co_return std::nullopt;
  co_return info->throughput;
}

net::awaitable<void> client::replace_throughput(std::string database, std::string collection, int throughput) {
  auto found = co_await find_offer(database, collection);
  if (!found || found->offer_rid.empty()) {
    throw cosmos_error(error_details{"replace throughput", coll_path(database, collection).substr(1), 404, 0, "",
                                     "the collection has no offer of its own"});
  }
  const offer_info& info = *found;
  call put;
  put.operation = "replace offer";
  put.method = "PUT";
  put.path = "/offers/" + info.offer_rid;
  put.body = "{\"offerVersion\":\"V2\",\"offerType\":\"Invalid\",\"content\":{\"offerThroughput\":" +
             std::to_string(throughput) + "},\"resource\":" +
             json_quote(info.offer_self.empty() ? info.collection_self : info.offer_self) +
             ",\"offerResourceId\":" + json_quote(info.collection_rid) + ",\"id\":" + json_quote(info.offer_id) +
             ",\"_rid\":" + json_quote(info.offer_rid) + "}";
  put.idempotent = true;
  co_await execute(std::move(put));
}

}  // namespace idabus::io::cosmos
