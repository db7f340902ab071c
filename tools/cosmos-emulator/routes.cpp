#include "tools/cosmos-emulator/routes.hpp"

#include "io/cosmos/auth.hpp"
#include "io/cosmos/epk.hpp"
#include "io/http/url.hpp"
#include "io/json/write.hpp"
#include "tools/cosmos-emulator/account.hpp"
#include "tools/cosmos-emulator/bulk.hpp"
#include "tools/cosmos-emulator/http_status.hpp"

#include <boost/algorithm/string/find.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <random>
#include <vector>

namespace idabus::emulator {

namespace http = io::http;

namespace {

using io::json::append_json_string;

std::string activity_id() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::uint64_t a = gen();
  std::uint64_t b = gen();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

bool header_true(const http::request& req, std::string_view name) {
  return boost::algorithm::iequals(req.header(name), "true");
}

std::optional<std::string_view> optional_header(const http::request& req, std::string_view name) {
  if (!http::has_header(req.headers, name)) return std::nullopt;
  return req.header(name);
}

/// What a route produced, before the common headers.
struct outcome {
  http::response res;
  double charge = 0;
  std::string range_id;
  bool wrote = false;
};

outcome error(unsigned status, std::string_view code, std::string_view message, unsigned substatus = 0) {
  outcome o;
  o.res = error_response(status, code, message, substatus);
  return o;
}

outcome method_not_allowed(const http::request& req, std::string_view path) {
  return error(405, "MethodNotAllowed",
               "method " + req.method + " is not supported on " + std::string(path.empty() ? "/" : path));
}

/// Maps a store result to a response: the body on success, a Cosmos error otherwise.
outcome from_result(op_result r, bool is_write) {
  outcome o;
  o.charge = r.request_charge;
  o.range_id = std::move(r.range_id);
  if (r.succeeded()) {
    o.res.status = http_status(r.status);
    o.res.body = std::move(r.body);
    if (!r.etag.empty()) o.res.headers.emplace_back("etag", std::move(r.etag));
    o.wrote = is_write;
    return o;
  }
  std::string_view message = r.message.empty() ? default_message(r.status) : std::string_view(r.message);
  o.res = error_response(http_status(r.status), error_code_name(r.status), message, http_substatus(r.status));
  if (r.status == result_status::throttled) {
    o.res.headers.emplace_back("x-ms-retry-after-ms", std::to_string(std::max<long long>(1, r.retry_after.count())));
  }
  return o;
}

outcome from_page(query_page page) {
  outcome o;
  o.charge = page.request_charge;
  o.range_id = page.range_id;
  if (page.status != result_status::ok) {
    std::string_view message = page.message.empty() ? default_message(page.status) : std::string_view(page.message);
    o.res = error_response(http_status(page.status), error_code_name(page.status), message, http_substatus(page.status));
    if (page.status == result_status::throttled) {
      o.res.headers.emplace_back("x-ms-retry-after-ms",
                                 std::to_string(std::max<long long>(1, page.retry_after.count())));
    }
    return o;
  }
  o.res.status = 200;
  o.res.body = page.body();
  o.res.headers.emplace_back("x-ms-item-count", std::to_string(page.documents.size()));
  if (page.continuation) o.res.headers.emplace_back("x-ms-continuation", *page.continuation);
  return o;
}

/// Reads the feed options shared by queries and the read feed; an error outcome on bad headers.
std::optional<outcome> feed_options(const http::request& req, query_options& opts) {
  opts.range_id = optional_header(req, "x-ms-documentdb-partitionkeyrangeid");
  opts.partition_key = optional_header(req, "x-ms-documentdb-partitionkey");
  if (auto c = optional_header(req, "x-ms-continuation"); c && !c->empty()) opts.continuation = c;
  if (auto m = optional_header(req, "x-ms-max-item-count"); m && !m->empty()) {
    std::int32_t value = 0;
    auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), value);
    if (ec != std::errc{} || end != m->data() + m->size() || value == 0 || value < -1) {
      return error(400, "BadRequest",
                   "x-ms-max-item-count: expected a positive integer or -1, got '" + std::string(*m) + "'");
    }
    opts.max_item_count = value;
  }
  return std::nullopt;
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

/// x-ms-offer-throughput or the maxThroughput of x-ms-cosmos-offer-autopilot-settings.
std::optional<outcome> offer_throughput(const http::request& req, std::optional<double>& out) {
  if (auto t = optional_header(req, "x-ms-offer-throughput")) {
    auto v = parse_double(*t);
    if (!v) {
      return error(400, "BadRequest",
                   "x-ms-offer-throughput: expected a number from 400 to 1000000, got '" + std::string(*t) + "'");
    }
    out = *v;
    return std::nullopt;
  }
  if (auto a = optional_header(req, "x-ms-cosmos-offer-autopilot-settings")) {
    simdjson::padded_string padded(*a);
    simdjson::ondemand::parser parser;
    double max = 0;
    auto doc = parser.iterate(padded);
    if (doc.error() || doc["maxThroughput"].get_double().get(max) || max < 0) {
      return error(400, "BadRequest",
                   "x-ms-cosmos-offer-autopilot-settings: expected {\"maxThroughput\":<number>}, got '" +
                       std::string(*a) + "'");
    }
    out = max;
  }
  return std::nullopt;
}

// How a query plan rewrites `SELECT VALUE COUNT(1) ...` (as the service does): every range answers
// [{"item": <partial count>}] and the SDK sums the partials.
constexpr std::string_view count_item_prefix = "SELECT VALUE [{\"item\": COUNT(1)}]";

struct query_text {
  std::string sql;
  std::string parameters;  ///< raw JSON array text, empty when absent
};

/// The "query" and "parameters" of a query body; nullopt when it is not such an object.
std::optional<query_text> split_query_body(std::string_view body) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return std::nullopt;
  query_text out;
  bool has_query = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    if (key == "query") {
      std::string_view sql;
      if (field.value().get_string().get(sql)) return std::nullopt;
      out.sql = sql;
      has_query = true;
    } else if (key == "parameters") {
      simdjson::ondemand::array params;
      std::string_view raw;
      if (field.value().get_array().get(params) || params.raw_json().get(raw)) return std::nullopt;
      out.parameters = raw;
    }
  }
  if (!has_query) return std::nullopt;
  return out;
}

/// `SELECT VALUE COUNT(1) <rest>` -> `SELECT VALUE [{"item": COUNT(1)}] <rest>`.
std::string count_item_rewrite(std::string_view sql) {
  auto count = boost::algorithm::ifind_first(sql, std::string_view("count"));
  auto close = count.empty() ? std::string_view::npos : sql.find(')', static_cast<std::size_t>(count.begin() - sql.begin()));
  if (close == std::string_view::npos) return {};
  return std::string(count_item_prefix) + std::string(sql.substr(close + 1));
}

struct range_bounds {
  std::string id;
  std::string min;
  std::string max;
};

/// The collection's partition key ranges, parsed from the store's pkranges feed.
std::vector<range_bounds> ranges_of(std::string_view pkranges_body) {
  std::vector<range_bounds> out;
  simdjson::padded_string padded(pkranges_body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return out;
  simdjson::ondemand::array ranges;
  if (doc["PartitionKeyRanges"].get_array().get(ranges)) return out;
  for (auto element : ranges) {
    simdjson::ondemand::object o;
    if (element.get_object().get(o)) continue;
    range_bounds r;
    for (auto field : o) {
      std::string_view key;
      std::string_view value;
      if (field.unescaped_key().get(key)) continue;
      if (key != "id" && key != "minInclusive" && key != "maxExclusive") continue;
      if (field.value().get_string().get(value)) continue;
      (key == "id" ? r.id : key == "minInclusive" ? r.min : r.max) = std::string(value);
    }
    out.push_back(std::move(r));
  }
  return out;
}


// ---- the route table ----

/// One request as the handlers see it: `args` are the path's `{...}` segments, in order.
struct call {
  store& data;
  const http::request& req;
  std::string_view raw_path;
  std::vector<std::string_view> args;
  const routes_options& options;

  std::string_view arg(std::size_t i) const { return args.at(i); }
  // `Prefer: return=minimal` (contentResponseOnWriteEnabled = false): document writes answer
  // without the document.
  bool minimal() const { return boost::algorithm::iequals(req.header("prefer"), "return=minimal"); }
  bool is_query() const {
    return header_true(req, "x-ms-documentdb-isquery") ||
           req.header("content-type").substr(0, 22) == "application/query+json";
  }
};

using handler_fn = outcome (*)(const call&);

struct route_entry {
  std::string_view method;
  std::string_view pattern;  ///< "/dbs/{db}/colls": literal segments and `{name}` captures
  handler_fn handler;
};

/// Whether the decoded `segments` fit `pattern`; fills `args` with the captured ones.
bool match(std::string_view pattern, const std::vector<std::string>& segments, std::vector<std::string_view>& args) {
  args.clear();
  std::size_t i = 0;
  for (std::size_t pos = 1; pos < pattern.size(); ++i) {
    auto next = pattern.find('/', pos);
    if (next == std::string_view::npos) next = pattern.size();
    const std::string_view part = pattern.substr(pos, next - pos);
    pos = next + 1;
    if (i >= segments.size()) return false;
    if (part.front() == '{') {
      args.push_back(segments[i]);
    } else if (part != segments[i]) {
      return false;
    }
  }
  return i == segments.size();
}

/// x-ms-item-count from a store feed's trailing "_count".
void add_item_count(outcome& o) {
  if (o.res.status != 200) return;
  auto count_at = o.res.body.rfind("\"_count\":");
  if (count_at == std::string::npos) return;
  auto digits = o.res.body.substr(count_at + 9);
  o.res.headers.emplace_back("x-ms-item-count", digits.substr(0, digits.find_first_not_of("0123456789")));
}

outcome read_account(const call& c) {
  outcome o;
  o.res.status = 200;
  o.res.body = account_body(advertised_endpoint(c.options.tls, c.req.header("host"), c.options.host, c.options.port));
  return o;
}

outcome list_databases(const call& c) { return from_result(c.data.list_databases(), false); }
outcome create_database(const call& c) { return from_result(c.data.create_database(c.req.body), true); }
outcome read_database(const call& c) { return from_result(c.data.read_database(c.arg(0)), false); }
outcome delete_database(const call& c) { return from_result(c.data.delete_database(c.arg(0)), true); }
outcome list_collections(const call& c) { return from_result(c.data.list_collections(c.arg(0)), false); }

outcome create_collection(const call& c) {
  std::optional<double> throughput;
  if (auto bad = offer_throughput(c.req, throughput)) return std::move(*bad);
  return from_result(c.data.create_collection(c.arg(0), c.req.body, throughput), true);
}

outcome read_collection(const call& c) { return from_result(c.data.read_collection(c.arg(0), c.arg(1)), false); }

// Replacing a collection may change its indexing policy, which the emulator does not model;
// the partition key cannot change. Answer with the collection as it is.
outcome replace_collection(const call& c) { return read_collection(c); }

outcome delete_collection(const call& c) { return from_result(c.data.delete_collection(c.arg(0), c.arg(1)), true); }

outcome list_partition_key_ranges(const call& c) {
  outcome o = from_result(c.data.list_partition_key_ranges(c.arg(0), c.arg(1)), false);
  if (o.res.status == 200) o.res.headers.emplace_back("x-ms-item-count", std::to_string(ranges_of(o.res.body).size()));
  return o;
}

outcome read_feed(const call& c) {
  if (http::has_header(c.req.headers, "a-im")) {
    return error(400, "BadRequest", "the change feed (A-IM header) is not supported by cosmos-emulator");
  }
  query_options opts;
  if (auto bad = feed_options(c.req, opts)) return std::move(*bad);
  return from_page(c.data.query(c.arg(0), c.arg(1), select_all_query(), opts));
}

outcome run_bulk(const call& c) {
  const std::string_view db = c.arg(0), coll = c.arg(1);
  if (header_true(c.req, "x-ms-cosmos-batch-atomic")) {
    return error(400, "BadRequest", "transactional (atomic) batches are not supported by cosmos-emulator; "
                                    "send x-ms-cosmos-batch-atomic: false (bulk)");
  }
  simdjson::padded_string padded(c.req.body);
  simdjson::ondemand::parser parser;
  std::vector<bulk_entry> entries;
  if (auto bad = parse_bulk(parser, padded, entries)) return error(400, "BadRequest", *bad);
  auto range_id = optional_header(c.req, "x-ms-documentdb-partitionkeyrangeid");
  std::optional<range_bounds> range;
  if (range_id) {
    auto listed = c.data.list_partition_key_ranges(db, coll);
    if (!listed.succeeded()) return from_result(std::move(listed), false);
    for (auto& r : ranges_of(listed.body)) {
      if (r.id == *range_id) range = r;
    }
    if (!range) return error(410, "Gone", "partition key range '" + std::string(*range_id) + "' does not exist", 1002);
  }
  // Entries outside the addressed range are answered gone (the SDK re-routes them).
  std::vector<document_request> runnable;
  std::vector<std::size_t> slot(entries.size(), SIZE_MAX);
  std::vector<op_result> results(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    if (e.refusal) {
      results[i].status = result_status::bad_request;
      results[i].message = *e.refusal;
      continue;
    }
    if (range && e.request.partition_key) {
      auto key = io::cosmos::parse_partition_key_header(*e.request.partition_key);
      if (key) {
        auto epk = io::cosmos::effective_partition_key_v2(*key);
        if (!io::cosmos::epk_in_range(epk, range->min, range->max)) {
          results[i].status = result_status::gone;
          results[i].message = "the operation's partition key is not in partition key range '" + range->id + "'";
          continue;
        }
      }
    }
    slot[i] = runnable.size();
    runnable.push_back(e.request);
  }
  auto executed = c.data.execute_batch(db, coll, runnable);
  outcome o;
  bool all_ok = true;
  bool all_throttled = !entries.empty();
  std::chrono::milliseconds retry{0};
  double charge = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (slot[i] != SIZE_MAX) results[i] = std::move(executed[slot[i]]);
    all_ok = all_ok && results[i].succeeded();
    bool throttled = results[i].status == result_status::throttled;
    all_throttled = all_throttled && throttled;
    if (throttled) retry = std::max(retry, results[i].retry_after);
    charge += results[i].request_charge;
    if (results[i].succeeded()) o.wrote = true;
  }
  if (all_throttled) {
    o = error(429, "TooManyRequests", default_message(result_status::throttled), 3200);
    o.res.headers.emplace_back("x-ms-retry-after-ms", std::to_string(std::max<long long>(1, retry.count())));
  } else {
    o.res.status = all_ok ? 200 : 207;
    o.res.body = bulk_response_body(results, c.minimal());
  }
  o.charge = charge;
  if (range) o.range_id = range->id;
  return o;
}

outcome run_query(const call& c) {
  const std::string_view db = c.arg(0), coll = c.arg(1);
  auto text = split_query_body(c.req.body);
  bool count_items = text && text->sql.starts_with(count_item_prefix);
  auto parsed = count_items ? parse_query("SELECT VALUE COUNT(1)" + text->sql.substr(count_item_prefix.size()),
                                          text->parameters)
                            : parse_query_request(c.req.body);
  if (!parsed.query) return error(400, "BadRequest", "query: " + parsed.error);
  if (header_true(c.req, "x-ms-cosmos-is-query-plan-request")) {
    auto exists = c.data.read_collection(db, coll);
    if (!exists.succeeded()) return from_result(std::move(exists), false);
    outcome o;
    o.res.status = 200;
    std::string rewritten;
    if (parsed.query->select == select_kind::count && text) rewritten = count_item_rewrite(text->sql);
    o.res.body = query_plan_body(*parsed.query, rewritten);
    return o;
  }
  query_options opts;
  if (auto bad = feed_options(c.req, opts)) return std::move(*bad);
  auto page = c.data.query(db, coll, *parsed.query, opts);
  if (!count_items || page.status != result_status::ok) return from_page(std::move(page));
  // Partial count of this scope in the shape the SDK's aggregator sums.
  std::string partial = "{\"_rid\":";
  append_json_string(partial, page.collection_rid);
  partial += ",\"Documents\":[";
  for (std::size_t i = 0; i < page.documents.size(); ++i) {
    if (i) partial += ',';
    partial += "[{\"item\":" + *page.documents[i] + "}]";
  }
  partial += "],\"_count\":" + std::to_string(page.documents.size()) + "}";
  auto count = page.documents.size();
  outcome o = from_page(std::move(page));
  o.res.body = std::move(partial);
  http::set_header(o.res.headers, "x-ms-item-count", std::to_string(count));
  return o;
}

outcome create_document(const call& c) {
  document_request d;
  d.op = header_true(c.req, "x-ms-documentdb-is-upsert") ? document_op::upsert : document_op::create;
  d.partition_key = optional_header(c.req, "x-ms-documentdb-partitionkey");
  d.body = c.req.body;
  d.if_match = optional_header(c.req, "if-match");
  outcome o = from_result(c.data.execute(c.arg(0), c.arg(1), d), true);
  if (c.minimal() && o.res.status < 300) o.res.body.clear();
  return o;
}

/// POST .../docs: bulk, query (or query plan), or create/upsert, by the request's headers.
outcome post_documents(const call& c) {
  if (header_true(c.req, "x-ms-cosmos-is-batch-request")) return run_bulk(c);
  if (c.is_query()) return run_query(c);
  return create_document(c);
}

outcome document_call(const call& c, document_op op) {
  document_request d;
  d.op = op;
  d.id = c.arg(2);
  d.partition_key = optional_header(c.req, "x-ms-documentdb-partitionkey");
  d.if_match = optional_header(c.req, "if-match");
  if (op == document_op::replace) d.body = c.req.body;
  outcome o = from_result(c.data.execute(c.arg(0), c.arg(1), d), op != document_op::read);
  if (c.minimal() && op == document_op::replace && o.res.status < 300) o.res.body.clear();
  return o;
}

outcome read_document(const call& c) { return document_call(c, document_op::read); }
outcome replace_document(const call& c) { return document_call(c, document_op::replace); }
outcome delete_document(const call& c) { return document_call(c, document_op::remove); }

outcome list_offers(const call& c) {
  outcome o = from_result(c.data.list_offers(), false);
  add_item_count(o);
  return o;
}

outcome query_offers(const call& c) {
  if (!c.is_query()) return method_not_allowed(c.req, c.raw_path);
  auto parsed = parse_query_request(c.req.body);
  if (!parsed.query) return error(400, "BadRequest", "query: " + parsed.error);
  outcome o = from_result(c.data.query_offers(*parsed.query), false);
  add_item_count(o);
  return o;
}

outcome read_offer(const call& c) { return from_result(c.data.read_offer(c.arg(0)), false); }
outcome replace_offer(const call& c) { return from_result(c.data.replace_offer(c.arg(0), c.req.body), true); }

/// The REST surface (routes.hpp). A path that matches some pattern but none with the request's
/// method answers 405; a path that matches none answers 404.
constexpr route_entry route_table[] = {
    {"GET", "/", read_account},
    {"GET", "/dbs", list_databases},
    {"POST", "/dbs", create_database},
    {"GET", "/dbs/{db}", read_database},
    {"DELETE", "/dbs/{db}", delete_database},
    {"GET", "/dbs/{db}/colls", list_collections},
    {"POST", "/dbs/{db}/colls", create_collection},
    {"GET", "/dbs/{db}/colls/{coll}", read_collection},
    {"PUT", "/dbs/{db}/colls/{coll}", replace_collection},
    {"DELETE", "/dbs/{db}/colls/{coll}", delete_collection},
    {"GET", "/dbs/{db}/colls/{coll}/pkranges", list_partition_key_ranges},
    {"GET", "/dbs/{db}/colls/{coll}/docs", read_feed},
    {"POST", "/dbs/{db}/colls/{coll}/docs", post_documents},
    {"GET", "/dbs/{db}/colls/{coll}/docs/{id}", read_document},
    {"PUT", "/dbs/{db}/colls/{coll}/docs/{id}", replace_document},
    {"DELETE", "/dbs/{db}/colls/{coll}/docs/{id}", delete_document},
    {"GET", "/offers", list_offers},
    {"POST", "/offers", query_offers},
    {"GET", "/offers/{id}", read_offer},
    {"PUT", "/offers/{id}", replace_offer},
};

}  // namespace

http::response error_response(unsigned status, std::string_view code, std::string_view message, unsigned substatus) {
  http::response res;
  res.status = status;
  res.body = "{\"code\":";
  append_json_string(res.body, code);
  res.body += ",\"message\":";
  append_json_string(res.body, message);
  res.body += '}';
  if (substatus != 0) res.headers.emplace_back("x-ms-substatus", std::to_string(substatus));
  return res;
}

std::string query_plan_body(const parsed_query& query, std::string_view rewritten_query) {
  bool count = query.select == select_kind::count && !rewritten_query.empty();
  std::string body =
      "{\"partitionedQueryExecutionInfoVersion\":2,\"queryInfo\":{\"distinctType\":\"None\",\"top\":null,"
      "\"offset\":null,\"limit\":null,\"orderBy\":[],\"orderByExpressions\":[],\"groupByExpressions\":[],"
      "\"groupByAliases\":[],\"aggregates\":";
  body += count ? "[\"Count\"]" : "[]";
  body += ",\"groupByAliasToAggregateType\":{},\"rewrittenQuery\":";
  append_json_string(body, count ? rewritten_query : std::string_view{});
  body += ",\"hasSelectValue\":";
  body += query.select == select_kind::count ? "true" : "false";
  body += ",\"hasNonStreamingOrderBy\":false},\"queryRanges\":[{\"min\":\"\",\"max\":\"FF\",\"isMinInclusive\":true,"
          "\"isMaxInclusive\":false}]}";
  return body;
}

routes::routes(store& data, routes_options options) : data_(data), options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
}

void routes::add_common_headers(http::response& res, double charge, std::string_view range_id) const {
  http::set_header(res.headers, "content-type", "application/json");
  http::set_header(res.headers, "x-ms-request-charge", format_charge(charge));
  http::set_header(res.headers, "x-ms-activity-id", activity_id());
  std::string token(range_id.empty() ? "0" : range_id);
  token += ":-1#";
  token += std::to_string(lsn_.load(std::memory_order_relaxed));
  http::set_header(res.headers, "x-ms-session-token", std::move(token));
  http::set_header(res.headers, "x-ms-gatewayversion", "cosmos-emulator");
}

std::optional<http::response> routes::authorize(const http::request& req) const {
  auto deny = [&](unsigned status, std::string_view code, std::string message) {
    auto res = error_response(status, code, message);
    add_common_headers(res, 0, {});
    return res;
  };
  std::string_view target = req.target;
  std::string_view raw_path = target.substr(0, target.find('?'));
  auto path = http::percent_decode(raw_path);
  if (!path) return deny(400, "BadRequest", "request path has a broken percent-escape: " + std::string(raw_path));
  std::string_view auth = req.header("authorization");
  if (auth.empty()) return deny(401, "Unauthorized", "Required Header authorization is missing. Ensure a valid Authorization token is passed.");
  std::string_view date = req.header("x-ms-date");
  if (date.empty()) date = req.header("date");
  if (date.empty()) return deny(401, "Unauthorized", "Required Header x-ms-date is missing (or date). Ensure a valid x-ms-date header is passed.");
  auto when = io::cosmos::parse_http_date(date);
  if (!when) {
    return deny(401, "Unauthorized", "x-ms-date '" + std::string(date) + "' is not an RFC 1123 date such as 'Thu, 27 Apr 2017 00:51:12 GMT'");
  }
  auto address = io::cosmos::address_of(*path);
  auto check = io::cosmos::verify_authorization(auth, options_.decoded_key, req.method, address, date);
  if (check != io::cosmos::auth_check::ok) {
    std::string why = check == io::cosmos::auth_check::malformed ? "the authorization header is not 'type=master&ver=1.0&sig=<base64>'"
                                                                  : "the signature does not match";
    return deny(401, "Unauthorized",
                "The input authorization token can't serve the request. The wrong key is being used or the expected "
                "payload is not built as per the protocol (" + why + "; the server signed verb '" + req.method +
                    "', resource type '" + address.resource_type + "', resource link '" + address.resource_link +
                    "').");
  }
  auto now = options_.now();
  auto skew = now > *when ? now - *when : *when - now;
  if (skew > options_.max_clock_skew) {
    return deny(403, "Forbidden",
                "Request date '" + std::string(date) + "' is more than " +
                    std::to_string(options_.max_clock_skew.count()) +
                    " minutes away from the server time; sync the client clock and retry.");
  }
  return std::nullopt;
}

http::response routes::handle(const http::request& req) {
  std::string_view target = req.target;
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  std::string_view query_string = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  return route(req, raw_path, query_string);
}

http::response routes::route(const http::request& req, std::string_view raw_path, std::string_view) {
  // Split into percent-decoded segments, ignoring empty ones (leading, trailing, doubled '/').
  std::vector<std::string> seg;
  for (std::size_t pos = 0; pos <= raw_path.size();) {
    auto next = raw_path.find('/', pos);
    if (next == std::string_view::npos) next = raw_path.size();
    if (next > pos) {
      auto decoded = http::percent_decode(raw_path.substr(pos, next - pos));
      if (!decoded) {
        auto res = error_response(400, "BadRequest", "request path has a broken percent-escape");
        add_common_headers(res, 0, {});
        return res;
      }
      seg.push_back(std::move(*decoded));
    }
    pos = next + 1;
  }
  call c{data_, req, raw_path, {}, options_};
  bool path_known = false;
  const route_entry* chosen = nullptr;
  for (const route_entry& r : route_table) {
    if (!match(r.pattern, seg, c.args)) continue;
    path_known = true;
    if (r.method == req.method) {
      chosen = &r;
      break;
    }
  }
  outcome o = chosen ? chosen->handler(c)
              : path_known
                  ? method_not_allowed(req, raw_path)
                  : error(404, "NotFound", "cosmos-emulator does not serve " + req.method + " " + std::string(raw_path));
  if (o.wrote) lsn_.fetch_add(1, std::memory_order_relaxed);
  add_common_headers(o.res, o.charge, o.range_id);
  return std::move(o.res);
}

}  // namespace idabus::emulator
