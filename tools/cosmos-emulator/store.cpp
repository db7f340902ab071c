#include "tools/cosmos-emulator/store.hpp"

#include "io/cosmos/epk.hpp"
#include "tools/cosmos-emulator/partition.hpp"
#include "tools/cosmos-emulator/persistence.hpp"
#include "tools/cosmos-emulator/ru_model.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

namespace idabus::emulator {

namespace cosmos = idabus::io::cosmos;

namespace {

constexpr std::size_t max_document_bytes = 2u << 20;
constexpr std::size_t max_page_bytes = 4u << 20;
constexpr std::size_t max_scanned_per_page = 10000;
constexpr std::int32_t default_page_items = 100;

// Log record types (persistence.hpp frames them; the fields are this file's business).
enum record : std::uint8_t {
  rec_database_put = 1,
  rec_database_delete = 2,
  rec_collection_put = 3,
  rec_collection_delete = 4,
  rec_offer = 5,
  rec_document_put = 6,
  rec_document_delete = 7,
  rec_counters = 8,  ///< next database/collection/offer numbers, so rids are never reused
};

using steady = std::chrono::steady_clock;

std::string num(std::uint64_t v) { return std::to_string(v); }
std::string num(std::int64_t v) { return std::to_string(v); }
std::string num_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <class T>
T parse_int(std::string_view s) {
  T v{};
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double parse_double(std::string_view s) { return std::strtod(std::string(s).c_str(), nullptr); }

// Canonical, exact encoding of a partition key value (the identity half of a document key).
std::string encode_partition_key(const std::vector<cosmos::pk_component>& key) {
  std::string out;
  for (const auto& c : key) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            out += 'u';
          } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
            out += 'z';
          } else if constexpr (std::is_same_v<T, bool>) {
            out += x ? 't' : 'f';
          } else if constexpr (std::is_same_v<T, double>) {
            double d = x == 0 ? 0.0 : x;  // -0 == 0
            char b[8];
            std::memcpy(b, &d, 8);
            out += 'n';
            out.append(b, 8);
          } else {
            out += 's';
            const auto n = static_cast<std::uint32_t>(x.size());
            out.append(reinterpret_cast<const char*>(&n), 4);
            out += x;
          }
        },
        c);
  }
  return out;
}

std::string describe_key(const std::vector<cosmos::pk_component>& key) {
  return cosmos::partition_key_header(key);
}

// Why an id is invalid, or empty when it is fine.
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

std::int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

op_result error(result_status s, std::string message, unsigned substatus = 0, double charge = 0) {
  op_result r;
  r.status = s;
  r.substatus = substatus;
  r.message = std::move(message);
  r.request_charge = charge;
  return r;
}

std::string missing_collection(std::string_view db, std::string_view coll) {
  return "collection " + json_quote(coll) + " does not exist in database " + json_quote(db);
}

query_page page_error(result_status s, std::string message, unsigned substatus = 0) {
  query_page p;
  p.status = s;
  p.substatus = substatus;
  p.message = std::move(message);
  return p;
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

// Uppercase hex boundaries. v2 EPKs have their top two bits cleared, so hashes lie in
// [00.., 40..); the interior boundaries split that space evenly (the outer ones are "" and "FF").
std::uint64_t boundary_step(std::uint32_t partitions) { return (std::uint64_t{1} << 62) / partitions; }

std::string boundary(std::uint32_t index, std::uint32_t partitions) {
  if (index == 0) return "";
  if (index >= partitions) return "FF";
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(boundary_step(partitions) * index));
  return buf;
}

std::uint32_t partition_of(std::string_view epk, std::uint32_t partitions) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    v <<= 4;
    if (i < epk.size()) {
      const char c = epk[i];
      v |= static_cast<std::uint64_t>(c >= 'A' ? c - 'A' + 10 : (c >= 'a' ? c - 'a' + 10 : c - '0')) & 0xF;
    }
  }
  const std::uint64_t p = v / boundary_step(partitions);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(p, partitions - 1));
}

struct collection {
  std::string id;
  std::string rid;
  std::uint32_t db_number = 0;
  std::uint32_t number = 0;
  std::int64_t ts = 0;
  std::string etag;
  std::string body;
  std::string pk_path;  ///< "/objecttype" (a JSON pointer)
  std::uint32_t partition_count = 1;
  std::vector<std::unique_ptr<partition>> partitions;
  double throughput = 0;  ///< guarded by the store's mutex (exclusive to change)
  std::uint32_t offer_number = 0;
  std::string offer_rid;
  std::int64_t offer_ts = 0;
  std::string offer_etag;

  std::mutex clock_mu;  ///< after a partition mutex
  std::int64_t last_ts = 0;
  std::uint64_t seq = 0;
  std::atomic<std::uint64_t> next_doc_number{0};
};

struct database {
  std::string id;
  std::string rid;
  std::uint32_t number = 0;
  std::int64_t ts = 0;
  std::string etag;
  std::vector<std::unique_ptr<collection>> collections;
};

// Continuation: "c1.<partition>.<mode>.<ts>.<seq>.<scope hash>.<crc>" with hex numbers; mode 's'
// = start of the partition at ts_min, 'a' = strictly after (ts, seq). The scope hash binds the
// token to the query, collection and range; the CRC detects tampering and truncation.
struct cursor {
  std::uint32_t partition = 0;
  bool after = false;
  std::int64_t ts = 0;
  std::uint64_t seq = 0;
};

std::string encode_cursor(const cursor& c, std::uint64_t scope) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "c1.%x.%c.%llx.%llx.%llx", c.partition, c.after ? 'a' : 's',
                static_cast<unsigned long long>(c.ts), static_cast<unsigned long long>(c.seq),
                static_cast<unsigned long long>(scope));
  std::string s = buf;
  char crc[16];
  std::snprintf(crc, sizeof crc, ".%08x", crc32(s));
  return s + crc;
}

std::optional<cursor> decode_cursor(std::string_view token, std::uint64_t scope) {
  const auto dot = token.rfind('.');
  if (token.size() > 150 || dot == std::string_view::npos || token.substr(0, 3) != "c1.") return std::nullopt;
  const std::string_view body = token.substr(0, dot);
  std::uint32_t crc = 0;
  const auto crc_text = token.substr(dot + 1);
  auto [p, ec] = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), crc, 16);
  if (ec != std::errc() || p != crc_text.data() + crc_text.size() || crc32(body) != crc) return std::nullopt;
  cursor c;
  unsigned long long ts = 0, seq = 0, sc = 0;
  char mode = 0;
  unsigned part = 0;
  if (std::sscanf(std::string(body).c_str(), "c1.%x.%c.%llx.%llx.%llx", &part, &mode, &ts, &seq, &sc) != 5) return std::nullopt;
  if ((mode != 'a' && mode != 's') || sc != scope) return std::nullopt;
  c.partition = part;
  c.after = mode == 'a';
  c.ts = static_cast<std::int64_t>(ts);
  c.seq = seq;
  return c;
}

std::uint64_t mix(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

unsigned http_status(result_status s) noexcept {
  switch (s) {
    case result_status::ok: return 200;
    case result_status::created: return 201;
    case result_status::no_content: return 204;
    case result_status::bad_request:
    case result_status::bad_continuation: return 400;
    case result_status::not_found: return 404;
    case result_status::conflict: return 409;
    case result_status::gone: return 410;
    case result_status::precondition_failed: return 412;
    case result_status::too_large: return 413;
    case result_status::throttled: return 429;
  }
  return 500;
}

std::string_view error_code_name(result_status s) noexcept {
  switch (s) {
    case result_status::bad_request:
    case result_status::bad_continuation: return "BadRequest";
    case result_status::not_found: return "NotFound";
    case result_status::conflict: return "Conflict";
    case result_status::gone: return "Gone";
    case result_status::precondition_failed: return "PreconditionFailed";
    case result_status::too_large: return "RequestEntityTooLarge";
    case result_status::throttled: return "TooManyRequests";
    default: return {};
  }
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

// =============================================================================================

struct store::impl {
  store_options opt;
  mutable std::shared_mutex mu;
  std::vector<std::unique_ptr<database>> databases;
  std::uint32_t next_db_number = 0;
  std::uint32_t next_coll_number = 0;
  std::uint32_t next_offer_number = 0;
  std::atomic<std::uint64_t> etag_seq{0};
  std::unique_ptr<durable_log> log;
  bool replaying = false;

  steady::time_point steady_now() const { return opt.steady_now ? opt.steady_now() : steady::now(); }
  std::int64_t unix_now() const { return opt.unix_now ? opt.unix_now() : system_unix_now(); }
  std::string next_etag() { return make_etag(++etag_seq); }

  void record(std::uint8_t type, durable_log::fields fs) {
    if (log && !replaying) log->append(type, fs);
  }

  // ---- lookup (caller holds mu) ----
  database* find_db(std::string_view id) const {
    for (const auto& d : databases) {
      if (d->id == id) return d.get();
    }
    for (const auto& d : databases) {
      if (d->rid == id) return d.get();
    }
    return nullptr;
  }
  static collection* find_coll(const database& db, std::string_view id) {
    for (const auto& c : db.collections) {
      if (c->id == id) return c.get();
    }
    for (const auto& c : db.collections) {
      if (c->rid == id) return c.get();
    }
    return nullptr;
  }
  collection* find_coll(std::string_view db, std::string_view coll) const {
    database* d = find_db(db);
    return d ? find_coll(*d, coll) : nullptr;
  }

  // ---- bodies ----
  static std::string database_body(const database& d) {
    std::string b = "{\"id\":" + json_quote(d.id) + ",\"_rid\":\"" + d.rid + "\",\"_self\":\"dbs/" + d.rid +
                    "/\",\"_etag\":" + json_quote(d.etag) + ",\"_colls\":\"colls/\",\"_users\":\"users/\",\"_ts\":" +
                    num(d.ts) + "}";
    return b;
  }

  std::string offer_body(const database& d, const collection& c) const {
    std::string b = "{\"resource\":\"dbs/" + d.rid + "/colls/" + c.rid + "/\",\"offerType\":\"Invalid\",\"offerResourceId\":\"" +
                    c.rid + "\",\"offerVersion\":\"V2\",\"content\":{\"offerThroughput\":";
    append_number(b, c.throughput);
    b += ",\"offerIsRUPerMinuteThroughputEnabled\":false},\"id\":\"" + c.offer_rid + "\",\"_rid\":\"" + c.offer_rid +
         "\",\"_self\":\"offers/" + c.offer_rid + "/\",\"_etag\":" + json_quote(c.offer_etag) +
         ",\"_ts\":" + num(c.offer_ts) + "}";
    return b;
  }

  // ---- collections ----
  std::unique_ptr<collection> make_collection(database& d, std::string id, std::uint32_t number, std::int64_t ts,
                                              std::string etag, std::string body, std::string pk_path,
                                              std::uint32_t partitions, double throughput, std::uint32_t offer_number,
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

  void log_collection(const database& d, const collection& c) {
    record(rec_collection_put, {d.id, c.id, num(std::uint64_t{c.number}), num(c.ts), c.etag, c.body, c.pk_path,
                                num(std::uint64_t{c.partition_count}), num_double(c.throughput),
                                num(std::uint64_t{c.offer_number}), num(c.offer_ts), c.offer_etag});
  }

  void log_counters() {
    record(rec_counters, {num(std::uint64_t{next_db_number}), num(std::uint64_t{next_coll_number}),
                          num(std::uint64_t{next_offer_number})});
  }

  void log_document(const database& d, const collection& c, const stored_document& doc) {
    record(rec_document_put, {d.id, c.id, doc.pk_key, doc.epk, doc.id, num(doc.rid_number), doc.etag, num(doc.ts),
                              doc.bytes, num(doc.seq)});
  }

  // ---- documents ----
  struct routed {
    std::vector<cosmos::pk_component> key;
    std::string pk_key;
    std::string epk;
    std::uint32_t partition = 0;
  };

  // Parses the partition key header; error message on failure.
  static std::optional<routed> route_header(const collection& c, std::optional<std::string_view> header,
                                            std::string& message) {
    if (!header) {
      message = "missing partition key: send x-ms-documentdb-partitionkey (a JSON array such as [\"value\"]) for collection " +
                json_quote(c.id) + " partitioned by " + c.pk_path;
      return std::nullopt;
    }
    auto key = cosmos::parse_partition_key_header(*header);
    if (!key || key->size() != 1) {
      message = "invalid partition key " + json_quote(*header) +
                ": expected a JSON array with one string, number, boolean, null or {} for path " + c.pk_path;
      return std::nullopt;
    }
    routed r;
    r.key = std::move(*key);
    r.pk_key = encode_partition_key(r.key);
    r.epk = cosmos::effective_partition_key_v2(r.key);
    r.partition = partition_of(r.epk, c.partition_count);
    return r;
  }

  op_result throttled(std::chrono::milliseconds wait, std::uint32_t p) const {
    op_result r = error(result_status::throttled, "Request rate is large: partition key range " + std::to_string(p) +
                                                      " used its share of the provisioned throughput",
                        3200);
    r.retry_after = wait;
    r.range_id = std::to_string(p);
    return r;
  }

  struct parsed_body {
    std::string id;
    std::vector<cosmos::pk_component> key;
  };

  // Validates a document body; fills id and the partition key value found at pk_path.
  static std::optional<op_result> parse_document(const collection& c, std::string_view body, parsed_body& out) {
    if (body.size() > max_document_bytes) {
      return error(result_status::too_large, "document is " + std::to_string(body.size()) +
                                                 " bytes; the maximum is 2 MB (2097152 bytes)");
    }
    simdjson::dom::element root;
    if (auto err = dom_parser().parse(body.data(), body.size()).get(root)) {
      return error(result_status::bad_request, std::string("document is not valid JSON: ") + simdjson::error_message(err));
    }
    if (root.type() != simdjson::dom::element_type::OBJECT) {
      return error(result_status::bad_request, "document must be a JSON object");
    }
    simdjson::dom::element id;
    if (root["id"].get(id)) return error(result_status::bad_request, "document is missing the required property \"id\"");
    std::string_view id_text;
    if (id.get_string().get(id_text)) return error(result_status::bad_request, "document property \"id\" must be a string");
    if (auto why = check_id(id_text, "document"); !why.empty()) return error(result_status::bad_request, why);
    out.id = std::string(id_text);
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
          return error(result_status::bad_request, "partition key property " + c.pk_path +
                                                       " must be a string, number, boolean or null, not an object or array");
      }
    }
    out.key.clear();
    out.key.push_back(std::move(comp));
    return std::nullopt;
  }

  op_result execute(database& d, collection& c, const document_request& req,
                    std::vector<std::optional<std::chrono::milliseconds>>* batch_throttled) {
    std::string message;
    parsed_body parsed;
    const bool has_body = req.op == document_op::create || req.op == document_op::upsert || req.op == document_op::replace;
    if (has_body) {
      if (auto bad = parse_document(c, req.body, parsed)) return *bad;
      if (req.op == document_op::replace && parsed.id != req.id) {
        return error(result_status::bad_request, "replace: the body's id " + json_quote(parsed.id) +
                                                     " differs from the id in the request " + json_quote(req.id));
      }
    } else {
      if (auto why = check_id(req.id, "document"); !why.empty()) return error(result_status::bad_request, why);
    }
    auto route = route_header(c, req.partition_key, message);
    if (!route) return error(result_status::bad_request, message);
    if (has_body && parsed.key != route->key) {
      return error(result_status::bad_request,
                   "partition key " + describe_key(route->key) + " in the request does not match the document's value " +
                       describe_key(parsed.key) + " at " + c.pk_path,
                   1001);
    }
    const std::string_view id = has_body ? std::string_view(parsed.id) : req.id;
    const std::uint32_t pi = route->partition;
    partition& part = *c.partitions[pi];
    std::unique_lock lock(part.mutex);
    const auto now = steady_now();
    if (batch_throttled && (*batch_throttled)[pi]) return throttled(*(*batch_throttled)[pi], pi);
    if (auto wait = part.bucket.admit(now)) {
      if (batch_throttled) (*batch_throttled)[pi] = *wait;
      return throttled(*wait, pi);
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
    switch (req.op) {
      case document_op::read:
        if (!existing) return finish_miss(result_status::not_found, "document " + json_quote(id) + " with partition key " + describe_key(route->key) + " does not exist");
        r.status = result_status::ok;
        r.body = existing->bytes;
        r.etag = existing->etag;
        r.request_charge = read_charge(existing->bytes.size());
        part.bucket.consume(r.request_charge, now);
        return r;
      case document_op::remove:
        if (!existing) return finish_miss(result_status::not_found, "document " + json_quote(id) + " with partition key " + describe_key(route->key) + " does not exist");
        if (etag_mismatch()) return finish_miss(result_status::precondition_failed, "If-Match " + std::string(*req.if_match) + " does not match the current _etag " + existing->etag);
        part.remove(key);
        record(rec_document_delete, {d.id, c.id, key});
        r.status = result_status::no_content;
        r.request_charge = delete_charge(existing->bytes.size());
        part.bucket.consume(r.request_charge, now);
        return r;
      case document_op::create:
        if (existing) return finish_miss(result_status::conflict, "a document with id " + json_quote(id) + " and partition key " + describe_key(route->key) + " already exists");
        break;
      case document_op::replace:
        if (!existing) return finish_miss(result_status::not_found, "document " + json_quote(id) + " with partition key " + describe_key(route->key) + " does not exist");
        [[fallthrough]];
      case document_op::upsert:
        if (etag_mismatch()) return finish_miss(result_status::precondition_failed, "If-Match " + std::string(*req.if_match) + " does not match the current _etag " + existing->etag);
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
    if (!bytes) return error(result_status::bad_request, "document must be a JSON object");
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

  // ---- persistence ----
  void replay(std::uint8_t type, std::span<const std::string_view> f) {
    auto need = [&](std::size_t n) {
      if (f.size() < n) throw std::runtime_error("cosmos-emulator data dir: log record of type " + std::to_string(type) + " has too few fields");
    };
    switch (type) {
      case rec_database_put: {
        need(4);
        auto d = std::make_unique<database>();
        d->id = std::string(f[0]);
        d->number = parse_int<std::uint32_t>(f[1]);
        d->rid = database_rid(d->number);
        d->ts = parse_int<std::int64_t>(f[2]);
        d->etag = std::string(f[3]);
        next_db_number = std::max(next_db_number, d->number);
        if (!find_db(d->id)) databases.push_back(std::move(d));
        break;
      }
      case rec_database_delete: {
        need(1);
        std::erase_if(databases, [&](const auto& d) { return d->id == f[0]; });
        break;
      }
      case rec_collection_put: {
        need(12);
        database* d = find_db(f[0]);
        if (!d) break;
        std::erase_if(d->collections, [&](const auto& c) { return c->id == f[1]; });
        d->collections.push_back(make_collection(*d, std::string(f[1]), parse_int<std::uint32_t>(f[2]),
                                                 parse_int<std::int64_t>(f[3]), std::string(f[4]), std::string(f[5]),
                                                 std::string(f[6]), parse_int<std::uint32_t>(f[7]), parse_double(f[8]),
                                                 parse_int<std::uint32_t>(f[9]), parse_int<std::int64_t>(f[10]),
                                                 std::string(f[11])));
        break;
      }
      case rec_collection_delete: {
        need(2);
        if (database* d = find_db(f[0])) std::erase_if(d->collections, [&](const auto& c) { return c->id == f[1]; });
        break;
      }
      case rec_offer: {
        need(5);
        collection* c = find_coll(f[0], f[1]);
        if (!c) break;
        c->throughput = parse_double(f[2]);
        c->offer_ts = parse_int<std::int64_t>(f[3]);
        c->offer_etag = std::string(f[4]);
        for (auto& p : c->partitions) p->bucket.set_rate(partition_share(c->throughput, c->partition_count), steady_now());
        break;
      }
      case rec_document_put: {
        need(10);
        collection* c = find_coll(f[0], f[1]);
        if (!c) break;
        auto doc = std::make_shared<stored_document>();
        doc->pk_key = std::string(f[2]);
        doc->epk = std::string(f[3]);
        doc->id = std::string(f[4]);
        doc->key = document_key(doc->pk_key, doc->id);
        doc->rid_number = parse_int<std::uint64_t>(f[5]);
        doc->etag = std::string(f[6]);
        doc->ts = parse_int<std::int64_t>(f[7]);
        doc->bytes.reserve(f[8].size() + simdjson::SIMDJSON_PADDING);
        doc->bytes.append(f[8]);
        c->last_ts = std::max(c->last_ts, doc->ts);
        // The write sequence survives restarts, so continuation tokens issued before stay valid.
        doc->seq = parse_int<std::uint64_t>(f[9]);
        c->seq = std::max(c->seq, doc->seq);
        if (doc->rid_number > c->next_doc_number) c->next_doc_number = doc->rid_number;
        c->partitions[partition_of(doc->epk, c->partition_count)]->put(std::move(doc));
        break;
      }
      case rec_document_delete: {
        need(3);
        collection* c = find_coll(f[0], f[1]);
        if (!c) break;
        for (auto& p : c->partitions) p->remove(f[2]);
        break;
      }
      case rec_counters: {
        need(3);
        next_db_number = std::max(next_db_number, parse_int<std::uint32_t>(f[0]));
        next_coll_number = std::max(next_coll_number, parse_int<std::uint32_t>(f[1]));
        next_offer_number = std::max(next_offer_number, parse_int<std::uint32_t>(f[2]));
        break;
      }
      default:
        throw std::runtime_error("cosmos-emulator data dir: unknown log record type " + std::to_string(type));
    }
  }

  // Caller holds mu exclusively.
  void compact() {
    log->rewrite([&](const durable_log::emit_fn& emit) {
      emit(rec_counters, {num(std::uint64_t{next_db_number}), num(std::uint64_t{next_coll_number}),
                          num(std::uint64_t{next_offer_number})});
      for (const auto& d : databases) {
        emit(rec_database_put, {d->id, num(std::uint64_t{d->number}), num(d->ts), d->etag});
        for (const auto& c : d->collections) {
          emit(rec_collection_put, {d->id, c->id, num(std::uint64_t{c->number}), num(c->ts), c->etag, c->body, c->pk_path,
                                    num(std::uint64_t{c->partition_count}), num_double(c->throughput),
                                    num(std::uint64_t{c->offer_number}), num(c->offer_ts), c->offer_etag});
          for (const auto& p : c->partitions) {
            for (const auto& [k, doc] : p->by_ts()) {
              emit(rec_document_put, {d->id, c->id, doc->pk_key, doc->epk, doc->id, num(doc->rid_number), doc->etag,
                                      num(doc->ts), doc->bytes, num(doc->seq)});
            }
          }
        }
      }
    });
  }

  std::uint64_t live_bytes() const {
    std::uint64_t total = 0;
    for (const auto& d : databases) {
      for (const auto& c : d->collections) {
        total += c->body.size();
        for (const auto& p : c->partitions) {
          std::lock_guard lock(p->mutex);
          total += p->bytes() + p->size() * 96;  // record framing and metadata per document
        }
      }
    }
    return total;
  }
};

// =============================================================================================

store::store(store_options options) : impl_(std::make_unique<impl>()) {
  impl_->opt = std::move(options);
  if (impl_->opt.partitions == 0) impl_->opt.partitions = 1;
  impl_->etag_seq = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  if (!impl_->opt.data_dir.empty()) {
    impl_->log = std::make_unique<durable_log>(impl_->opt.data_dir);
    impl_->replaying = true;
    const auto loaded = impl_->log->load([&](std::uint8_t type, std::span<const std::string_view> f) { impl_->replay(type, f); });
    impl_->replaying = false;
    if (loaded.records > 0 || loaded.dropped_bytes > 0) {
      std::unique_lock lock(impl_->mu);
      impl_->compact();
    }
  }
}

store::~store() {
  try {
    flush();
  } catch (...) {
  }
}

void store::flush() {
  if (!impl_->log) return;
  impl_->log->flush();
  std::uint64_t live = 0;
  {
    std::shared_lock lock(impl_->mu);
    live = impl_->live_bytes();
  }
  if (impl_->log->size_bytes() > std::max<std::uint64_t>(impl_->opt.compaction_min_bytes, 2 * live)) {
    std::unique_lock lock(impl_->mu);
    impl_->log->flush();
    impl_->compact();
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

// ---- databases ----

op_result store::create_database(std::string_view body) {
  simdjson::dom::element root;
  std::string_view id;
  if (dom_parser().parse(body.data(), body.size()).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return error(result_status::bad_request, "database body must be a JSON object such as {\"id\":\"name\"}");
  }
  if (root["id"].get_string().get(id)) return error(result_status::bad_request, "database body: \"id\" must be a string");
  if (auto why = check_id(id, "database"); !why.empty()) return error(result_status::bad_request, why);
  if (id.size() > 255) return error(result_status::bad_request, "database id is longer than 255 characters");
  std::unique_lock lock(impl_->mu);
  if (impl_->find_db(id)) return error(result_status::conflict, "database " + json_quote(id) + " already exists", 0, metadata_charge());
  auto d = std::make_unique<database>();
  d->id = std::string(id);
  d->number = ++impl_->next_db_number;
  d->rid = database_rid(d->number);
  d->ts = impl_->unix_now();
  d->etag = impl_->next_etag();
  impl_->record(rec_database_put, {d->id, num(std::uint64_t{d->number}), num(d->ts), d->etag});
  op_result r;
  r.status = result_status::created;
  r.body = impl::database_body(*d);
  r.etag = d->etag;
  r.request_charge = metadata_charge();
  impl_->databases.push_back(std::move(d));
  return r;
}

op_result store::read_database(std::string_view db) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return error(result_status::not_found, "database " + json_quote(db) + " does not exist", 0, metadata_charge());
  op_result r;
  r.body = impl::database_body(*d);
  r.etag = d->etag;
  r.request_charge = metadata_charge();
  return r;
}

op_result store::delete_database(std::string_view db) {
  std::unique_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return error(result_status::not_found, "database " + json_quote(db) + " does not exist", 0, metadata_charge());
  impl_->record(rec_database_delete, {d->id});
  impl_->log_counters();
  std::erase_if(impl_->databases, [&](const auto& x) { return x.get() == d; });
  op_result r;
  r.status = result_status::no_content;
  r.request_charge = metadata_charge();
  return r;
}

op_result store::list_databases() {
  std::shared_lock lock(impl_->mu);
  std::vector<std::string> items;
  for (const auto& d : impl_->databases) items.push_back(impl::database_body(*d));
  op_result r;
  r.body = feed("", "Databases", items);
  r.request_charge = metadata_charge();
  return r;
}

// ---- collections ----

op_result store::create_collection(std::string_view db, std::string_view body, std::optional<double> offer_throughput) {
  simdjson::dom::element root;
  if (dom_parser().parse(body.data(), body.size()).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return error(result_status::bad_request, "collection body must be a JSON object with \"id\" and \"partitionKey\"");
  }
  std::string_view id;
  if (root["id"].get_string().get(id)) return error(result_status::bad_request, "collection body: \"id\" must be a string");
  if (auto why = check_id(id, "collection"); !why.empty()) return error(result_status::bad_request, why);
  if (id.size() > 255) return error(result_status::bad_request, "collection id is longer than 255 characters");
  simdjson::dom::object pk;
  if (root["partitionKey"].get_object().get(pk)) {
    return error(result_status::bad_request, "collection body: \"partitionKey\" must be an object such as {\"paths\":[\"/pk\"],\"kind\":\"Hash\",\"version\":2}");
  }
  simdjson::dom::array paths;
  if (pk["paths"].get_array().get(paths) || paths.size() == 0) {
    return error(result_status::bad_request, "collection body: partitionKey.paths must be a non-empty array of paths such as [\"/pk\"]");
  }
  if (paths.size() > 1) {
    return error(result_status::bad_request, "unsupported: hierarchical partition keys (partitionKey.paths has " +
                                                 std::to_string(paths.size()) + " entries; only one is supported)");
  }
  std::string_view path;
  if (paths.at(0).get_string().get(path) || path.size() < 2 || path[0] != '/') {
    return error(result_status::bad_request, "collection body: partitionKey.paths[0] must be a path string such as \"/pk\"");
  }
  std::string_view kind = "Hash";
  simdjson::dom::element kind_element;
  if (!pk["kind"].get(kind_element) && kind_element.get_string().get(kind)) {
    return error(result_status::bad_request, "collection body: partitionKey.kind must be a string");
  }
  if (kind != "Hash") return error(result_status::bad_request, "unsupported: partitionKey.kind " + json_quote(kind) + " (only \"Hash\")");
  std::int64_t version = 2;
  simdjson::dom::element ve;
  if (!pk["version"].get(ve) && ve.get_int64().get(version)) {
    return error(result_status::bad_request, "collection body: partitionKey.version must be 1 or 2");
  }
  if (version != 1 && version != 2) return error(result_status::bad_request, "collection body: partitionKey.version must be 1 or 2");
  const bool has_indexing = !root["indexingPolicy"].error();
  double throughput = offer_throughput.value_or(impl_->opt.default_throughput);
  if (!(throughput >= 0) || !std::isfinite(throughput)) {
    return error(result_status::bad_request, "x-ms-offer-throughput must be a number >= 0");
  }
  // The collection body: the client's members (except partitionKey and server-owned ones),
  // then partitionKey, the default indexing policy when absent, and system properties.
  auto members = scan_members(body);
  if (!members) return error(result_status::bad_request, "collection body must be a JSON object");
  std::string id_copy(id), path_copy(path), kind_copy(kind);

  std::unique_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return error(result_status::not_found, "database " + json_quote(db) + " does not exist", 0, metadata_charge());
  if (impl::find_coll(*d, id_copy)) {
    return error(result_status::conflict, "collection " + json_quote(id_copy) + " already exists in database " + json_quote(d->id), 0, metadata_charge());
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
         ",\"version\":" + std::to_string(version) + "},\"_rid\":\"" + rid + "\",\"_ts\":" + num(ts) + ",\"_self\":\"dbs/" +
         d->rid + "/colls/" + rid + "/\",\"_etag\":" + json_quote(etag) +
         ",\"_docs\":\"docs/\",\"_sprocs\":\"sprocs/\",\"_triggers\":\"triggers/\",\"_udfs\":\"udfs/\",\"_conflicts\":\"conflicts/\"}";
  auto c = impl_->make_collection(*d, id_copy, number, ts, etag, std::move(out), path_copy, impl_->opt.partitions,
                                  throughput, ++impl_->next_offer_number, ts, impl_->next_etag());
  impl_->log_collection(*d, *c);
  op_result r;
  r.status = result_status::created;
  r.body = c->body;
  r.etag = c->etag;
  r.request_charge = metadata_charge();
  d->collections.push_back(std::move(c));
  return r;
}

op_result store::read_collection(std::string_view db, std::string_view coll) {
  std::shared_lock lock(impl_->mu);
  collection* c = impl_->find_coll(db, coll);
  if (!c) return error(result_status::not_found, missing_collection(db, coll), 0, metadata_charge());
  op_result r;
  r.body = c->body;
  r.etag = c->etag;
  r.request_charge = metadata_charge();
  return r;
}

op_result store::delete_collection(std::string_view db, std::string_view coll) {
  std::unique_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return error(result_status::not_found, missing_collection(db, coll), 0, metadata_charge());
  impl_->record(rec_collection_delete, {d->id, c->id});
  impl_->log_counters();
  std::erase_if(d->collections, [&](const auto& x) { return x.get() == c; });
  op_result r;
  r.status = result_status::no_content;
  r.request_charge = metadata_charge();
  return r;
}

op_result store::list_collections(std::string_view db) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  if (!d) return error(result_status::not_found, "database " + json_quote(db) + " does not exist", 0, metadata_charge());
  std::vector<std::string> items;
  for (const auto& c : d->collections) items.push_back(c->body);
  op_result r;
  r.body = feed(d->rid, "DocumentCollections", items);
  r.request_charge = metadata_charge();
  return r;
}

op_result store::list_partition_key_ranges(std::string_view db, std::string_view coll) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return error(result_status::not_found, missing_collection(db, coll), 0, metadata_charge());
  std::vector<std::string> items;
  const double fraction = 1.0 / c->partition_count;
  for (std::uint32_t i = 0; i < c->partition_count; ++i) {
    const std::string rid = partition_range_rid(d->number, c->number, i);
    std::string b = "{\"id\":\"" + std::to_string(i) + "\",\"minInclusive\":\"" + boundary(i, c->partition_count) +
                    "\",\"maxExclusive\":\"" + boundary(i + 1, c->partition_count) + "\",\"ridPrefix\":" +
                    std::to_string(i) + ",\"throughputFraction\":";
    append_number(b, fraction);
    b += ",\"status\":\"online\",\"parents\":[],\"_rid\":\"" + rid + "\",\"_self\":\"dbs/" + d->rid + "/colls/" + c->rid +
         "/pkranges/" + rid + "/\",\"_etag\":" + json_quote(c->etag) + ",\"_ts\":" + num(c->ts) + "}";
    items.push_back(std::move(b));
  }
  op_result r;
  r.body = feed(c->rid, "PartitionKeyRanges", items);
  r.etag = c->etag;
  r.request_charge = metadata_charge();
  return r;
}

// ---- offers ----

op_result store::list_offers() {
  std::shared_lock lock(impl_->mu);
  std::vector<std::string> items;
  for (const auto& d : impl_->databases) {
    for (const auto& c : d->collections) items.push_back(impl_->offer_body(*d, *c));
  }
  op_result r;
  r.body = feed("", "Offers", items);
  r.request_charge = metadata_charge();
  return r;
}

op_result store::read_offer(std::string_view offer_id) {
  std::shared_lock lock(impl_->mu);
  for (const auto& d : impl_->databases) {
    for (const auto& c : d->collections) {
      if (c->offer_rid == offer_id) {
        op_result r;
        r.body = impl_->offer_body(*d, *c);
        r.etag = c->offer_etag;
        r.request_charge = metadata_charge();
        return r;
      }
    }
  }
  return error(result_status::not_found, "offer " + json_quote(offer_id) + " does not exist", 0, metadata_charge());
}

op_result store::replace_offer(std::string_view offer_id, std::string_view body) {
  simdjson::dom::element root;
  if (dom_parser().parse(body.data(), body.size()).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return error(result_status::bad_request, "offer body must be a JSON object with content.offerThroughput");
  }
  double throughput = 0;
  if (root.at_pointer("/content/offerThroughput").get_double().get(throughput) || !(throughput >= 0) ||
      !std::isfinite(throughput)) {
    return error(result_status::bad_request, "offer body: content.offerThroughput must be a number >= 0");
  }
  std::unique_lock lock(impl_->mu);
  for (const auto& d : impl_->databases) {
    for (const auto& c : d->collections) {
      if (c->offer_rid != offer_id) continue;
      c->throughput = throughput;
      c->offer_ts = impl_->unix_now();
      c->offer_etag = impl_->next_etag();
      const auto now = impl_->steady_now();
      for (auto& p : c->partitions) {
        std::lock_guard plock(p->mutex);
        p->bucket.set_rate(partition_share(throughput, c->partition_count), now);
      }
      impl_->record(rec_offer, {d->id, c->id, num_double(throughput), num(c->offer_ts), c->offer_etag});
      op_result r;
      r.body = impl_->offer_body(*d, *c);
      r.etag = c->offer_etag;
      r.request_charge = metadata_charge();
      return r;
    }
  }
  return error(result_status::not_found, "offer " + json_quote(offer_id) + " does not exist", 0, metadata_charge());
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
  op_result r;
  r.body = feed("", "Offers", items);
  r.request_charge = metadata_charge();
  return r;
}

// ---- documents ----

op_result store::execute(std::string_view db, std::string_view coll, const document_request& request) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return error(result_status::not_found, missing_collection(db, coll));
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
      results.push_back(error(result_status::not_found, missing_collection(db, coll)));
    }
    return results;
  }
  std::vector<std::optional<std::chrono::milliseconds>> throttled(c->partition_count);
  for (const auto& req : requests) results.push_back(impl_->execute(*d, *c, req, &throttled));
  return results;
}

// ---- queries ----

query_page store::query(std::string_view db, std::string_view coll, const parsed_query& q, const query_options& o) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return page_error(result_status::not_found, missing_collection(db, coll));

  // Scope: one range, one logical partition, or every range in order.
  std::uint32_t first = 0, last = c->partition_count - 1;
  std::optional<std::string> pk_filter;
  if (o.range_id) {
    std::uint32_t r = 0;
    auto [p, ec] = std::from_chars(o.range_id->data(), o.range_id->data() + o.range_id->size(), r);
    if (ec != std::errc() || p != o.range_id->data() + o.range_id->size() || r >= c->partition_count ||
        std::to_string(r) != *o.range_id) {
      return page_error(result_status::gone, "partition key range " + json_quote(*o.range_id) +
                                                 " does not exist (ranges are \"0\"..\"" +
                                                 std::to_string(c->partition_count - 1) + "\")",
                        1002);
    }
    first = last = r;
  }
  if (o.partition_key) {
    std::string message;
    auto route = impl::route_header(*c, o.partition_key, message);
    if (!route) return page_error(result_status::bad_request, message);
    if (o.range_id && route->partition != first) {
      query_page empty;
      empty.collection_rid = c->rid;
      empty.range_id = std::to_string(first);
      empty.request_charge = query_page_base_charge();
      return empty;
    }
    first = last = route->partition;
    pk_filter = route->pk_key;
  }
  const std::uint64_t scope = mix(mix(mix(q.fingerprint, c->rid), o.range_id.value_or("*")), pk_filter.value_or(""));
  const auto now = impl_->steady_now();
  auto& eval = evaluator();

  auto matches = [&](const stored_document& doc) {
    if (pk_filter && doc.pk_key != *pk_filter) return false;
    return eval.matches(q.residual, doc.bytes);
  };

  if (q.select == select_kind::count) {
    if (o.continuation) return page_error(result_status::bad_continuation, "invalid continuation token: COUNT queries answer in one page");
    query_page page;
    page.collection_rid = c->rid;
    std::uint64_t count = 0;
    for (std::uint32_t pi = first; pi <= last; ++pi) {
      partition& part = *c->partitions[pi];
      std::lock_guard plock(part.mutex);
      if (pi == first) {
        if (auto wait = part.bucket.admit(now)) {
          query_page t = page_error(result_status::throttled, "Request rate is large: partition key range " + std::to_string(pi) + " used its share of the provisioned throughput", 3200);
          t.retry_after = *wait;
          return t;
        }
      }
      if (!q.satisfiable) continue;
      const bool unbounded = q.ts_min == std::numeric_limits<std::int64_t>::min() && q.ts_max == std::numeric_limits<std::int64_t>::max();
      if (unbounded && q.residual.empty() && !pk_filter) {
        count += part.size();
        continue;
      }
      const auto& idx = part.by_ts();
      for (auto it = idx.lower_bound({q.ts_min, 0}); it != idx.end() && it->first.first <= q.ts_max; ++it) {
        if (matches(*it->second)) ++count;
      }
    }
    page.request_charge = count_charge(count);
    {
      partition& part = *c->partitions[first];
      std::lock_guard plock(part.mutex);
      part.bucket.consume(page.request_charge, now);
    }
    page.documents.push_back(std::make_shared<const std::string>(std::to_string(count)));
    if (first == last) page.range_id = std::to_string(first);
    return page;
  }

  cursor start{first, false, q.ts_min, 0};
  if (o.continuation) {
    auto cur = decode_cursor(*o.continuation, scope);
    if (!cur || cur->partition < first || cur->partition > last) {
      return page_error(result_status::bad_continuation,
                        "invalid continuation token " + json_quote(o.continuation->substr(0, 64)) +
                            ": malformed, modified, or issued for a different query, collection or range");
    }
    start = *cur;
  }
  const std::size_t max_items = o.max_item_count > 0 ? static_cast<std::size_t>(o.max_item_count)
                                : o.max_item_count == -1 ? std::numeric_limits<std::size_t>::max()
                                                         : static_cast<std::size_t>(default_page_items);
  query_page page;
  page.collection_rid = c->rid;
  std::size_t bytes = 0;
  std::size_t scanned = 0;
  bool full = false;
  for (std::uint32_t pi = start.partition; pi <= last && !full; ++pi) {
    partition& part = *c->partitions[pi];
    std::lock_guard plock(part.mutex);
    if (pi == start.partition) {
      if (auto wait = part.bucket.admit(now)) {
        query_page t = page_error(result_status::throttled, "Request rate is large: partition key range " + std::to_string(pi) + " used its share of the provisioned throughput", 3200);
        t.retry_after = *wait;
        t.range_id = std::to_string(pi);
        return t;
      }
    }
    page.range_id = std::to_string(pi);
    double charge = pi == start.partition ? query_page_base_charge() : 0.0;
    const auto& idx = part.by_ts();
    auto it = (pi == start.partition && start.after) ? idx.upper_bound({start.ts, start.seq})
                                                     : idx.lower_bound({q.ts_min, 0});
    cursor resume{pi, false, q.ts_min, 0};
    for (; q.satisfiable && it != idx.end() && it->first.first <= q.ts_max; ++it) {
      if (page.documents.size() >= max_items || scanned >= max_scanned_per_page) {
        full = true;
        break;
      }
      const document_ptr& doc = it->second;
      ++scanned;
      if (!matches(*doc)) {
        charge += query_scanned_charge();
        resume = {pi, true, it->first.first, it->first.second};
        continue;
      }
      std::shared_ptr<const std::string> item;
      if (q.select == select_kind::projection) {
        item = std::make_shared<const std::string>(eval.project(q.projection, doc->bytes));
      } else {
        item = std::shared_ptr<const std::string>(doc, &doc->bytes);
      }
      if (!page.documents.empty() && bytes + item->size() + 1 > max_page_bytes) {
        full = true;
        break;
      }
      bytes += item->size() + 1;
      charge += read_charge(item->size());
      page.documents.push_back(std::move(item));
      resume = {pi, true, it->first.first, it->first.second};
    }
    part.bucket.consume(charge, now);
    page.request_charge += charge;
    if (full) {
      // More may follow in this partition (or later ones) unless this was the very end.
      const bool partition_done = it == idx.end() || it->first.first > q.ts_max;
      if (partition_done && pi == last) {
        full = false;
        break;
      }
      const cursor next = partition_done ? cursor{pi + 1, false, q.ts_min, 0} : resume;
      page.continuation = encode_cursor(next, scope);
    }
  }
  return page;
}

}  // namespace idabus::emulator
