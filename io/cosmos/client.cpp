#include "io/cosmos/client.hpp"

#include "io/cosmos/auth.hpp"
#include "io/cosmos/errors.hpp"
#include "io/json/write.hpp"

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

double parse_charge(std::string_view header) {
  if (header.empty()) return 0;
  double v = 0;
  const auto r = std::from_chars(header.data(), header.data() + header.size(), v);
  return r.ec == std::errc() ? v : 0;
}

/// At least one KB's worth per write.
double write_estimate(const client_options& options, std::size_t bytes) {
  return options.write_estimate_ru_per_kb * std::max(1.0, static_cast<double>(bytes) / 1024.0);
}

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

std::string bulk_entry(const bulk_operation& op) {
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

/// Whether an operation may be sent twice. A create answers 409 the second time and an If-Match
/// replace 412 (its first run changed the etag), so neither is resent after a timeout or reset.
/// A delete is: the second run answers 404, which reads as "was already gone".
bool may_resend(bulk_operation_type type, bool has_if_match) {
  if (type == bulk_operation_type::create) return false;
  if (type == bulk_operation_type::replace) return !has_if_match;
  return true;
}

constexpr std::size_t max_bulk_operations = 100;
constexpr std::size_t max_bulk_body_bytes = 220201;

}  // namespace

struct client::call {
  std::string operation;  ///< "upsert document"
  std::string method;
  std::string path;       ///< unescaped
  http::header_list headers;
  std::string body;
  double estimate = 1;
  gate_key key;  ///< where the RU gate charges it
  std::vector<unsigned> accepted;  ///< non-2xx statuses handed back as values
  bool surface_range_gone = false;
  /// Running it twice leaves the same state (reads, queries, upserts, deletes, plain replaces):
  /// only then is a timeout or reset after sending retried. connect_failed is always retried.
  bool idempotent = false;
  bool success_is_progress = true;  ///< false for bulk: a 207 full of 429s is no progress
};

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

client::client(http::client& http, connection_string cs, client_options options)
    : http_(http),
      cs_(std::move(cs)),
      options_(std::move(options)),
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
  for (;;) {
    // Wait for the budget first, then sign: a long wait must not age x-ms-date (the service
    // rejects a date more than 15 minutes old with 403).
    if (options_.gate) co_await options_.gate->acquire(c.key, c.estimate);
    http::request req;
    req.method = c.method;
    req.target = target;
    req.headers = c.headers;
    req.body = c.body;
    req.idempotent = c.idempotent;
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
      if (options_.gate) options_.gate->settle(c.key, c.estimate, e.kind() == kind::connect_failed ? 0 : c.estimate);
      // connect_failed: never sent, always safe. The others happen after (part of) the request
      // was sent, so the server may have executed it: resend only what may run twice.
      const bool maybe_executed = e.kind() == kind::timeout || e.kind() == kind::connection_reset ||
                                  e.kind() == kind::protocol_error;
      const bool retryable = e.kind() == kind::connect_failed || (maybe_executed && c.idempotent);
      if (!retryable || ++transient_attempts >= options_.retry.max_transient_attempts) throw;
      transport_failure = e.what();
    }
    if (!response) {
      const auto delay = backoff_delay(options_.retry, transient_attempts, rng_);
      log(c.operation + " on " + address.resource_link + ": " + transport_failure + "; retrying in " +
          std::to_string(delay.count()) + " ms (attempt " + std::to_string(transient_attempts + 1) + ")");
      co_await sleep_for(delay);
      continue;
    }

    const double charge = parse_charge(response->header("x-ms-request-charge"));
    if (options_.gate) options_.gate->settle(c.key, c.estimate, charge);
    const unsigned status = response->status;
    if ((status >= 200 && status < 300) || std::find(c.accepted.begin(), c.accepted.end(), status) != c.accepted.end()) {
      if (c.success_is_progress) last_progress_ = std::chrono::steady_clock::now();
      co_return std::move(*response);
    }
    const int substatus = parse_int(response->header("x-ms-substatus"));
    auto error = [&] {
      return cosmos_error(error_details{c.operation, address.resource_link, status, substatus,
                                        std::string(response->header("x-ms-activity-id")),
                                        server_message_of(response->body)});
    };
    const failure_class kind = classify(status, substatus);
    if (kind == failure_class::throttled) {
      auto wait = parse_retry_after(response->header("x-ms-retry-after-ms"));
      if (wait.count() < 0) wait = options_.retry.default_retry_after;
      if (options_.gate) options_.gate->throttled(c.key, wait);
      const auto now = std::chrono::steady_clock::now();
      const auto progress = std::max(last_progress_, started);
      if (now + wait - progress > options_.retry.throttle_give_up_after) {
        log(c.operation + " on " + address.resource_link + ": throttled with no progress for " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - progress).count()) + " s; giving up");
        throw error();
      }
      co_await sleep_for(wait);
      continue;
    }
    if (kind == failure_class::range_gone && c.surface_range_gone) throw error();
    if (kind == failure_class::transient || kind == failure_class::range_gone) {
      if (++transient_attempts >= options_.retry.max_transient_attempts) throw error();
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
  c.estimate = options_.read_estimate_ru;
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
  c.estimate = options_.read_estimate_ru;
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
  c.estimate = options_.read_estimate_ru;
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
  c.estimate = options_.read_estimate_ru;
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

net::awaitable<std::vector<pk_range>> client::ranges_for(std::string database, std::string collection,
                                                         bool refresh) {
  const std::string key = database + "/" + collection;
  if (!refresh) {
    if (auto it = range_cache_.find(key); it != range_cache_.end()) co_return it->second;
  }
  auto ranges = co_await read_partition_key_ranges(database, collection);
  range_cache_[key] = ranges;
  co_return ranges;
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
  c.estimate = options_.query_page_estimate_ru;
  c.idempotent = true;  // a query has no side effects
  auto response = co_await execute(std::move(c));
  query_page page;
  page.request_charge = parse_charge(response.header("x-ms-request-charge"));
  if (const auto cont = response.header("x-ms-continuation"); !cont.empty()) page.continuation = std::string(cont);
  page.range_id = request.range_id.value_or("");
  auto body = std::make_shared<const std::string>(std::move(response.body));
  thread_local std::map<std::string, json::page_reader> readers;
  auto it = readers.find(request.partition_key_path);
  if (it == readers.end()) it = readers.emplace(request.partition_key_path, json::page_reader(request.partition_key_path)).first;
  auto split = it->second.split(*body);
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
  c.estimate = options_.read_estimate_ru;
  c.accepted = {404};
  c.idempotent = true;
  auto response = co_await execute(std::move(c));
  if (response.status == 404) co_return std::nullopt;
  co_return to_document_response(std::move(response));
}

net::awaitable<document_response> client::upsert_document(std::string database, std::string collection, std::string body,
                                                          std::vector<pk_component> key) {
  call c;
  c.operation = "upsert document";
  c.method = "POST";
  c.path = coll_path(database, collection) + "/docs";
  c.key = gate_key_of(database, collection);
  c.headers.emplace_back("x-ms-documentdb-is-upsert", "True");
  c.headers.emplace_back("x-ms-documentdb-partitionkey", partition_key_header(key));
  c.estimate = write_estimate(options_, body.size());
  c.body = std::move(body);
  c.idempotent = true;  // an upsert of the same body is idempotent
  auto response = co_await execute(std::move(c));
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
  c.estimate = write_estimate(options_, body.size());
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
  c.estimate = options_.write_estimate_ru_per_kb;
  c.accepted = {404};
  c.idempotent = may_resend(bulk_operation_type::remove, !if_match.empty());
  auto response = co_await execute(std::move(c));
  co_return response.status != 404;
}

net::awaitable<std::vector<bulk_result>> client::bulk(std::string database, std::string collection,
                                                      std::vector<bulk_operation> operations) {
  std::vector<bulk_result> results(operations.size());
  std::vector<std::string> entries;
  std::vector<std::string> epks;
  entries.reserve(operations.size());
  epks.reserve(operations.size());
  for (const auto& op : operations) {
    entries.push_back(bulk_entry(op));
    epks.push_back(effective_partition_key_v2(op.partition_key));
  }
  std::vector<std::size_t> pending(operations.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  bool refresh = false;
  int refreshes = 0;
  const auto bulk_started = std::chrono::steady_clock::now();
  while (!pending.empty()) {
    auto ranges = co_await ranges_for(database, collection, refresh);
    refresh = false;
    // Group by range, keeping input order inside each group.
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t index : pending) {
      const pk_range* r = range_for_epk(ranges, epks[index]);
      if (!r) {
        throw cosmos_error(error_details{"bulk", coll_path(database, collection).substr(1), 0, 0, "",
                                         "no partition key range holds effective partition key " + epks[index]});
      }
      groups[r->id].push_back(index);
    }
    std::vector<std::size_t> retry;
    std::chrono::milliseconds retry_wait{0};
    std::map<std::string, std::chrono::milliseconds> throttled_ranges;  ///< longest retry-after per range
    for (auto& [range_id, indexes] : groups) {
      std::size_t next = 0;
      while (next < indexes.size()) {
        // Cut one batch: <= 100 operations and <= ~220 KB (an oversized single op still goes alone).
        std::vector<std::size_t> batch;
        std::string body = "[";
        while (next < indexes.size() && batch.size() < max_bulk_operations) {
          const std::string& entry = entries[indexes[next]];
          if (!batch.empty() && body.size() + entry.size() + 2 > max_bulk_body_bytes) break;
          if (!batch.empty()) body.push_back(',');
          body += entry;
          batch.push_back(indexes[next]);
          ++next;
        }
        body.push_back(']');
        double estimate = 0;
        for (std::size_t index : batch) {
          estimate += write_estimate(options_, entries[index].size());
        }
        call c;
        c.operation = "bulk";
        c.method = "POST";
        c.path = coll_path(database, collection) + "/docs";
        c.key = gate_key_of(database, collection, range_id);
        c.headers.emplace_back("x-ms-cosmos-is-batch-request", "True");
        c.headers.emplace_back("x-ms-cosmos-batch-atomic", "False");
        c.headers.emplace_back("x-ms-cosmos-batch-continue-on-error", "True");
        c.headers.emplace_back("x-ms-documentdb-partitionkeyrangeid", range_id);
        c.body = std::move(body);
        c.estimate = estimate;
        c.surface_range_gone = true;
        c.success_is_progress = false;
        c.idempotent = std::all_of(batch.begin(), batch.end(), [&](std::size_t index) {
          return may_resend(operations[index].type, !operations[index].if_match.empty());
        });
        std::optional<http::response> response;
        try {
          response = co_await execute(std::move(c));
        } catch (const cosmos_error& e) {
          if (classify(e.status(), e.substatus()) != failure_class::range_gone ||
              ++refreshes > options_.retry.max_range_refreshes) {
            throw;
          }
          log("bulk on range " + range_id + ": HTTP 410/" + std::to_string(e.substatus()) + "; re-reading ranges");
          refresh = true;
          retry.insert(retry.end(), batch.begin(), batch.end());
          retry.insert(retry.end(), indexes.begin() + static_cast<std::ptrdiff_t>(next), indexes.end());
          break;
        }
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        simdjson::dom::array array;
        if (parser.parse(response->body.data(), response->body.size(), true).get(root) || root.get_array().get(array)) {
          throw json::parse_error("bulk response on range " + range_id + " is not a JSON array");
        }
        if (array.size() != batch.size()) {
          throw json::parse_error("bulk response on range " + range_id + " has " + std::to_string(array.size()) +
                                  " results for " + std::to_string(batch.size()) + " operations");
        }
        std::size_t k = 0;
        for (simdjson::dom::element item : array) {
          const std::size_t index = batch[k++];
          bulk_result r;
          std::int64_t status = 0;
          if (item["statusCode"].get_int64().get(status)) throw json::parse_error("bulk result without 'statusCode'");
          r.status = static_cast<unsigned>(status);
          std::int64_t sub = 0;
          if (item["subStatusCode"].get_int64().get(sub) == simdjson::SUCCESS) r.substatus = static_cast<int>(sub);
          double rc = 0;
          if (item["requestCharge"].get_double().get(rc) == simdjson::SUCCESS) r.request_charge = rc;
          std::string_view s;
          if (item["eTag"].get_string().get(s) == simdjson::SUCCESS) r.etag = std::string(s);
          if (item["message"].get_string().get(s) == simdjson::SUCCESS) r.message = std::string(s.substr(0, 1000));
          if (r.status == 429) {
            double wait = 0;
            if (item["retryAfterMilliseconds"].get_double().get(wait) != simdjson::SUCCESS) {
              wait = static_cast<double>(options_.retry.default_retry_after.count());
            }
            retry_wait = std::max(retry_wait, std::chrono::milliseconds(static_cast<long long>(wait)));
            auto& range_wait = throttled_ranges[range_id];
            range_wait = std::max(range_wait, std::chrono::milliseconds(static_cast<long long>(wait)));
            retry.push_back(index);
            continue;
          }
          results[index] = std::move(r);
        }
      }
    }
    if (retry.size() < pending.size()) last_progress_ = std::chrono::steady_clock::now();
    if (!retry.empty() && retry_wait.count() > 0) {
      if (options_.gate) {
        for (const auto& [range_id, wait] : throttled_ranges) {
          options_.gate->throttled(gate_key_of(database, collection, range_id), wait);
        }
      }
      if (std::chrono::steady_clock::now() + retry_wait - std::max(last_progress_, bulk_started) >
          options_.retry.throttle_give_up_after) {
        throw cosmos_error(error_details{"bulk", coll_path(database, collection).substr(1), 429, 0, "",
                                         std::to_string(retry.size()) + " operations still throttled after " +
                                             std::to_string(options_.retry.throttle_give_up_after.count()) +
                                             " ms without progress"});
      }
      co_await sleep_for(retry_wait);
    }
    std::sort(retry.begin(), retry.end());
    pending = std::move(retry);
  }
  co_return results;
}

net::awaitable<std::optional<client::offer_info>> client::find_offer(std::string database, std::string collection) {
  call meta;
  meta.operation = "read collection";
  meta.method = "GET";
  meta.path = coll_path(database, collection);
  meta.key = gate_key_of(database, collection);
  meta.estimate = options_.read_estimate_ru;
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
  list.estimate = options_.read_estimate_ru;
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
  put.estimate = options_.read_estimate_ru;
  put.idempotent = true;
  co_await execute(std::move(put));
}

}  // namespace idabus::io::cosmos
