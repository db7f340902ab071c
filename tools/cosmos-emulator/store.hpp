#pragma once
// store: the data side of cosmos-emulator — databases, collections, offers, partition key ranges,
// documents, paged queries, RU charges, per-partition throttling and optional persistence.
// Protocol-agnostic: every call takes plain values (ids, partition key texts, body bytes) and
// returns a value with a result_status, body bytes, etag, request charge and an error message;
// routes (http_status.hpp) maps outcomes to the wire. Expected outcomes (not_found, conflict,
// precondition_failed, throttled, bad input) are results, never exceptions.
//
// Parts (one file each): key_ranges (range maths), continuation (token codec), store_catalog
// (databases, collections, offers), store_documents (document execution), store_paging
// (queries), store_replay (the store's side of persistence: log records, replay, compaction);
// store_impl.hpp holds the state they share.
//
// Addressing: `db` and `coll` are the ids from the URL (a resource's _rid is accepted as well).
//
// Documents keep the exact bytes the client sent, plus the system properties _rid, _self, _etag,
// _ts, _attachments spliced in before the closing brace (client-supplied values of those are
// dropped); numbers, escapes and key order of everything else are preserved byte for byte.
// Validation: missing/invalid partition key bad_request; partition key differs from the body's
// value partition_key_mismatch; body not a JSON object, missing, repeated or non-string id
// (JSON parsers disagree on which of two "id" members counts), id empty,
// > 1023 bytes or containing / \ ? # bad_request; body > 2 MB too_large.
//
// Partitioning (key_ranges.hpp): each collection has `partitions` physical partitions (fixed
// when it is created) tiling the effective-partition-key space ["", "FF") evenly; range ids
// "0".."N-1". A document goes to the range holding the v2 EPK of its partition key value.
// Only single-path partition keys (kind Hash) are supported.
//
// Throttling (throttle.hpp): provisioned RU/s per collection, split evenly across its partitions.
// Document operations are admitted against their partition's bucket BEFORE they execute; a
// throttled operation changes nothing and returns `throttled` with retry_after. Query pages are
// admitted on the partition they start in; each partition pays for the documents it returned or
// scanned, the page base goes to the first partition. Metadata operations are never throttled.
//
// Thread-safety: every public member may be called concurrently from any thread. A store-wide
// shared mutex guards the database/collection maps (exclusive only for create/delete of
// databases and collections and for compaction); each physical partition has its own mutex,
// so operations on different partitions run in parallel.
//
// Persistence (store_options::data_dir non-empty, persistence.hpp): every applied change is
// appended to an in-memory log buffer. The log's commit thread writes and fdatasyncs it in groups:
// the caller (service.cpp) waits with when_durable() after each request or batch before it
// answers, so the I/O threads never sync. The constructor loads the log (a damaged record stops
// it with an error naming the file and offset; a torn tail is dropped and reported on stderr) and
// compacts it; later, the log's compaction thread compacts whenever the log has grown well beyond
// the live data, blocking writers only while it captures a snapshot.

#include "tools/cosmos-emulator/query.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::emulator {

enum class result_status {
  ok,                      ///< read, replaced or listed
  created,                 ///< a new resource
  no_content,              ///< deleted
  bad_request,             ///< invalid input (message names the field and what was expected)
  partition_key_mismatch,  ///< the request's partition key differs from the document's value
  bad_continuation,        ///< malformed, tampered or foreign continuation token
  not_found,               ///< database, collection, document or offer unknown
  conflict,                ///< id already exists (in that logical partition / account)
  gone,                    ///< unknown partition key range id
  precondition_failed,     ///< the expected _etag differs from the current one
  too_large,               ///< document over 2 MB
  throttled,               ///< the partition's throughput is used up; see retry_after
};

/// The provisioned throughput (RU/s) a collection's offer may be given, as the service allows.
inline constexpr double min_offer_throughput = 400;
inline constexpr double max_offer_throughput = 1'000'000;

struct op_result {
  result_status status = result_status::ok;
  std::string body;                        ///< resource / feed JSON; empty for no_content and errors
  std::string etag;                        ///< the resource's _etag (quoted, as in the body)
  double request_charge = 0;               ///< RU charged (ru_model.hpp)
  std::chrono::milliseconds retry_after{0};  ///< when throttled
  std::string message;                     ///< error detail naming the field and what was expected
  std::string range_id;                    ///< partition key range that served a document op

  bool succeeded() const noexcept {
    return status == result_status::ok || status == result_status::created ||
           status == result_status::no_content;
  }
};

enum class document_op { create, upsert, replace, read, remove };

/// One document operation: a REST call or one entry of a bulk batch.
/// Views must stay valid for the duration of the call only.
struct document_request {
  document_op op = document_op::read;
  /// read/replace/remove: the id from the URL or the batch entry. create/upsert: ignored (the
  /// body's "id" is used). replace: must equal the body's id (bad_request otherwise).
  std::string_view id;
  /// The partition key value as a JSON array text such as `["Person"]`; nullopt when absent
  /// (bad_request).
  std::optional<std::string_view> partition_key;
  std::string_view body;                 ///< create/upsert/replace: the document JSON
  std::optional<std::string_view> if_match;  ///< replace/remove/upsert: expected _etag, quoted as sent
};

struct query_options {
  /// Run on that physical range only (unknown id -> gone).
  std::optional<std::string_view> range_id;
  /// Only documents of that logical partition (a JSON array text, as document_request's).
  std::optional<std::string_view> partition_key;
  /// 100 by default; -1 = as many as fit in ~4 MB. Pages never exceed 4 MB.
  std::int32_t max_item_count = 100;
  /// The previous page's continuation; nullopt for the first page.
  std::optional<std::string_view> continuation;
};

/// One page of a query or read feed. Documents are shared with the store (immutable once
/// stored), so they stay valid for as long as the page lives, whatever writes happen meanwhile.
struct query_page {
  result_status status = result_status::ok;  ///< ok, bad_request, bad_continuation, not_found, gone, throttled
  std::string message;
  double request_charge = 0;
  std::chrono::milliseconds retry_after{0};
  std::vector<std::shared_ptr<const std::string>> documents;  ///< raw JSON of each result
  /// Present when more results may follow (a page can be short or even empty and still have one).
  std::optional<std::string> continuation;
  std::string collection_rid;
  std::string range_id;  ///< the range the page ended in (empty for COUNT across ranges)

  /// `{"_rid":"<coll rid>","Documents":[...],"_count":N}` — the feed as Cosmos renders it.
  std::string body() const;
};

struct store_options {
  std::uint32_t partitions = 4;       ///< --partitions, for collections created from now on
  double default_throughput = 0;      ///< --ru-per-second: RU/s of collections created without
                                      ///< an explicit throughput; 0 = unlimited
  std::string data_dir;               ///< --data-dir; empty = memory only
  /// Throttle clock; default std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> steady_now;
  /// _ts clock in Unix seconds; default the system clock. _ts never goes backwards per collection.
  std::function<std::int64_t()> unix_now;
  /// The log is compacted when it exceeds max(this, 2 x live bytes).
  std::uint64_t compaction_min_bytes = 64ull << 20;
};

struct store_stats {
  std::uint64_t databases = 0;
  std::uint64_t collections = 0;
  std::uint64_t documents = 0;
  std::uint64_t document_bytes = 0;  ///< sum of stored document sizes
  std::uint64_t log_bytes = 0;       ///< current size of the persistence log (0 without data_dir)
};

class store {
 public:
  /// Opens the store; with a data_dir, loads and compacts its log. Throws std::runtime_error
  /// naming the path when the directory or log cannot be created, read or written.
  explicit store(store_options options);
  ~store();  ///< flushes (errors are swallowed; call flush() to see them)
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // Databases: bodies as Cosmos returns them (id, _rid, _self, _etag, _colls, _users, _ts).
  op_result create_database(std::string_view body);  ///< created / conflict / bad_request
  op_result read_database(std::string_view db);      ///< ok / not_found
  op_result delete_database(std::string_view db);    ///< no_content / not_found (drops its collections)
  op_result list_databases();                        ///< ok {"_rid":"","Databases":[..],"_count":n}

  // Collections. `offer_throughput`: the collection's RU/s, min_offer_throughput to
  // max_offer_throughput (bad_request otherwise); nullopt -> default_throughput (0 = unlimited).
  // The body keeps the client's fields and adds _rid, _self, _etag, _ts, _docs, _sprocs,
  // _triggers, _udfs, _conflicts, a default indexingPolicy and partitionKey.version 2 if absent.
  op_result create_collection(std::string_view db, std::string_view body,
                              std::optional<double> offer_throughput);  ///< created / conflict / not_found / bad_request
  op_result read_collection(std::string_view db, std::string_view coll);    ///< ok / not_found
  op_result delete_collection(std::string_view db, std::string_view coll);  ///< no_content / not_found
  op_result list_collections(std::string_view db);  ///< ok {"_rid":..,"DocumentCollections":[..],"_count":n}
  /// ok {"_rid":"<coll rid>","PartitionKeyRanges":[{id,minInclusive,maxExclusive,ridPrefix,
  /// throughputFraction,status,parents,_rid,_etag,_self,_ts}..],"_count":n}
  op_result list_partition_key_ranges(std::string_view db, std::string_view coll);

  // Offers: one per collection; id = _rid = a short rid; content.offerThroughput; offerVersion "V2".
  op_result list_offers();                            ///< ok {"_rid":"","Offers":[..],"_count":n}
  op_result read_offer(std::string_view offer_id);    ///< ok / not_found
  /// Takes content.offerThroughput from `body` (a number from min_offer_throughput to
  /// max_offer_throughput; bad_request otherwise) and applies it to the collection's partitions
  /// at once. ok / not_found / bad_request.
  op_result replace_offer(std::string_view offer_id, std::string_view body);
  /// Runs a parsed query over the offer resources (e.g. WHERE r.offerResourceId = @rid); one
  /// page, no continuation. Body {"_rid":"","Offers":[..],"_count":n}.
  op_result query_offers(const parsed_query& query);

  /// One document operation. Outcomes: create created/conflict, upsert created/ok
  /// (precondition_failed on an if_match mismatch of an existing document), replace
  /// ok/not_found/precondition_failed, read ok/not_found, remove no_content/not_found/
  /// precondition_failed; not_found also when db/coll are unknown; bad_request,
  /// partition_key_mismatch or too_large for invalid input; throttled.
  op_result execute(std::string_view db, std::string_view coll, const document_request& request);

  /// A non-atomic bulk batch (continue on error): each entry runs as execute() would, in order,
  /// and gets its own result. Once an entry is throttled, later entries of the same partition
  /// are throttled too (same retry_after) without running.
  std::vector<op_result> execute_batch(std::string_view db, std::string_view coll,
                                       std::span<const document_request> requests);

  /// One page of `query` (SELECT * without WHERE is the read feed). Order: partition by
  /// partition ("0", "1", ...), within a partition by (_ts, write sequence). Every document not
  /// written during the query is returned exactly once; one created or replaced during it moves to
  /// the end of its partition's order, so it is returned in its newest version (and, if an older
  /// version was already returned, once more); none is ever skipped. Tokens survive restarts. `_ts` predicates use the _ts index;
  /// other predicates scan (a page scans at most ~10,000 documents, so it may be short).
  /// COUNT answers in one page over the whole scope. Continuation tokens are self-checking:
  /// a malformed, tampered or foreign token (other query, range or collection) returns
  /// bad_continuation, never a silent restart.
  query_page query(std::string_view db, std::string_view coll, const parsed_query& query,
                   const query_options& options);

  /// Writes and fsyncs every change applied so far on the calling thread (no-op without
  /// data_dir). Throws std::runtime_error naming the file on I/O failure.
  void flush();

  /// Calls `done(nullptr)` once every change applied so far is durable — on the log's commit
  /// thread after its group's fdatasync, or at once (also without data_dir) — and `done(error)`
  /// if the log could not be written. `done` must not block.
  void when_durable(std::function<void(std::exception_ptr)> done);

  store_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `SELECT * FROM c` parsed once (the read feed).
const parsed_query& select_all_query();

}  // namespace idabus::emulator
