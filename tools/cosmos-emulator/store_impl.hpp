#pragma once
// store_impl: the state the store's parts share (store.hpp lists the parts). Internal to
// store*.cpp; nothing else includes it. Lock order: store::impl::mu, then a partition's mutex,
// then collection::clock_mu. Members marked "mu held" expect the caller to hold mu (shared or
// exclusive as noted).

#include "io/cosmos/epk.hpp"
#include "tools/cosmos-emulator/partition.hpp"
#include "tools/cosmos-emulator/persistence.hpp"
#include "tools/cosmos-emulator/query.hpp"
#include "tools/cosmos-emulator/store.hpp"

#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace idabus::emulator {

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

/// A partition key value as parsed from a request, with where it lives.
struct routed_key {
  std::vector<io::cosmos::pk_component> key;
  std::string pk_key;  ///< encode_partition_key(key)
  std::string epk;
  std::uint32_t partition = 0;
};

/// Ids of the records store_replay.cpp writes to and reads from the log.
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

struct store::impl {
  using steady = std::chrono::steady_clock;

  store_options opt;
  mutable std::shared_mutex mu;
  std::vector<std::unique_ptr<database>> databases;
  std::uint32_t next_db_number = 0;
  std::uint32_t next_coll_number = 0;
  std::uint32_t next_offer_number = 0;
  std::atomic<std::uint64_t> etag_seq{0};
  std::unique_ptr<durable_log> log;
  bool replaying = false;

  steady::time_point steady_now() const;
  std::int64_t unix_now() const;
  std::string next_etag();

  // ---- catalog (store_catalog.cpp); mu held ----
  database* find_db(std::string_view id) const;
  static collection* find_coll(const database& db, std::string_view id);
  collection* find_coll(std::string_view db, std::string_view coll) const;
  /// The database and collection whose offer has `offer_id` as its _rid ({nullptr, nullptr}: none).
  std::pair<database*, collection*> find_offer(std::string_view offer_id) const;
  static std::string database_body(const database& d);
  std::string offer_body(const database& d, const collection& c) const;
  /// mu held exclusively.
  std::unique_ptr<collection> make_collection(database& d, std::string id, std::uint32_t number, std::int64_t ts,
                                              std::string etag, std::string body, std::string pk_path,
                                              std::uint32_t partitions, double throughput, std::uint32_t offer_number,
                                              std::int64_t offer_ts, std::string offer_etag);

  // ---- documents (store_documents.cpp); mu held shared ----
  /// Parses a partition key text and routes it; nullopt with `message` set when invalid.
  static std::optional<routed_key> route_key(const collection& c, std::optional<std::string_view> text,
                                             std::string& message);
  /// `batch_throttled` (one slot per partition) makes a throttled partition stay throttled for
  /// the rest of a batch; null for single operations.
  op_result execute(database& d, collection& c, const document_request& req,
                    std::vector<std::optional<std::chrono::milliseconds>>* batch_throttled);

  // ---- persistence side (store_replay.cpp) ----
  /// Appends a change to the log (no-op without data_dir or while replaying).
  void record(std::uint8_t type, durable_log::fields fs);
  void log_database(const database& d);
  void log_collection(const database& d, const collection& c);
  void log_offer(const database& d, const collection& c);
  void log_counters();
  void log_document(const database& d, const collection& c, const stored_document& doc);
  /// Opens the data dir's log, replays it (reporting a torn tail on stderr), compacts it and
  /// starts its commit and compaction threads (constructor only).
  void open_log();
  void replay(std::uint8_t type, std::span<const std::string_view> fields);
  /// The live state and its log position, captured under mu held exclusively (takes mu).
  durable_log::snapshot take_snapshot();
  /// The log exceeds max(compaction_min_bytes, 2 x live bytes) (takes mu shared).
  bool compaction_due(std::uint64_t log_bytes) const;
  /// mu held.
  std::uint64_t live_bytes() const;
};

// Helpers shared by the parts (store.cpp).

/// An error outcome with a message (and the charge of a request that touched data).
op_result store_error(result_status status, std::string message, double charge = 0);
/// A query page carrying an error outcome.
query_page page_error(result_status status, std::string message);
/// The throttled outcome of partition `p`, to retry after `wait`.
op_result throttled_result(std::chrono::milliseconds wait, std::uint32_t p);
std::string throttled_message(std::uint32_t p);
std::string missing_collection(std::string_view db, std::string_view coll);
std::string missing_database(std::string_view db);
/// Why an id is invalid, or empty when it is fine; `what` names the resource kind.
std::string check_id(std::string_view id, std::string_view what);
/// {"_rid":rid,"<key>":[items...],"_count":n}
std::string feed(std::string_view rid, std::string_view key, const std::vector<std::string>& items);
/// One DOM parser / query evaluator per thread.
simdjson::dom::parser& dom_parser();
query_evaluator& evaluator();

}  // namespace idabus::emulator
