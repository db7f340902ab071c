#pragma once
// pipeline_pass: the engine's backup pass (orchestrator's backup_pass) on the streaming pipeline
// (stages::run_backup), and the manifest written in Finalizing (the orchestrator's finalizer).
// - Basis pass: per included collection `SELECT * FROM c`, or `_ts >= since - margin` for an
//   incremental (the bounds come in pass_request); chunks numbered from 000001.
// - Delta pass: `_ts >= basisStart - margin`, chunk phase "delta", numbering continuing after the
//   collection's basis chunks, into the same set folder. Its bound is the manifest's deltaSince.
// - Deletes (issue 10): after the delta pass, for each collection whose job has deletes_since,
//   its tombstones file: the Resources deletes from the request events in Events (deletes.hpp)
//   on the same gated client; the engine never deletes from the other collections, so theirs is
//   empty. Written on the file thread; its RU count for the collection.
// - RU (DESIGN §9): its own HTTP and Cosmos client whose gate (stages::ru_budget_gate) spends one
//   budget per partition key range (pipeline::keyed_ru_budget) under the job cap Backup.RuBudget;
//   each collection's provisioned RU/s (client.read_throughput, when the server reports one) is
//   split over its ranges.
// - Progress: documents and RU are added to pass_progress as each page is read (live during a
//   pass); each collection's 429s (the gate's count) go into its totals.
// - finalize(event): writes <set>/manifest.json (io/files, atomically) from the chunks of both
//   passes (DESIGN §7, the key never in it). The orchestrator calls it last in Finalizing, so a
//   cancelled or failed backup leaves no manifest.
// The chunk lists are kept between the passes of one backup id; a basis pass starts afresh.
// Runs on the engine's executor, one backup at a time (not thread-safe). Cancellation:
// cancelling a pass cancels run_backup (chunk files already renamed stay; no manifest).

#include "io/cosmos/client.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/files/manifest.hpp"
#include "io/files/tombstones.hpp"
#include "io/http/client.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "stages/backup.hpp"
#include "stages/ru_budget_gate.hpp"
#include "tools/idabus-engine/backup_event.hpp"
#include "tools/idabus-engine/config.hpp"
#include "tools/idabus-engine/orchestrator.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace idabus::engine {

/// The ids of the engine's coordination documents in Events (system modes, backup lease): they
/// describe the running backup (at the consistency point the modes say read-only), so a backup
/// leaves them out and a restored database starts with no modes set and no lease.
std::vector<std::string> engine_documents_not_backed_up();

/// The backup_options of the pipeline from appsettings' Backup section.
stages::backup_options pipeline_options(const backup_settings& settings);

/// What the passes of one backup produced for one collection.
struct collection_record {
  stages::collection_result result;                       ///< chunks of both passes, totals
  std::optional<std::int64_t> delta_since_ts;              ///< the delta pass's `_ts >=` bound
  std::optional<io::files::tombstones_entry> tombstones;  ///< the deletes file
};

/// The manifest of a finished backup: its event (ids, times, types) and what its passes produced
/// (indexed by collection_kind). `jobs` names the included collections and their key paths.
io::files::manifest manifest_of(const backup_event& event, const std::vector<collection_job>& jobs,
                                const std::array<collection_record, 3>& records, std::string endpoint_host,
                                std::string database);

class pipeline_pass {
 public:
  pipeline_pass(net::any_io_executor executor, const io::cosmos::connection_string& connection,
                cosmos_settings cosmos, backup_settings settings);
  pipeline_pass(const pipeline_pass&) = delete;
  pipeline_pass& operator=(const pipeline_pass&) = delete;

  net::awaitable<pass_result> run(pass_request request, pass_progress* progress);
  net::awaitable<void> finalize(backup_event event);

  backup_pass as_pass();
  backup_finalizer as_finalizer();

 private:
  /// The tombstones file of `job`'s collection in `set_folder`; returns the RU it took.
  net::awaitable<double> record_deletes(collection_job job, std::filesystem::path set_folder);

  cosmos_settings cosmos_;
  backup_settings settings_;
  std::string endpoint_host_;
  io::http::client http_;
  pipeline::keyed_ru_budget budget_;
  stages::ru_budget_gate gate_;
  io::cosmos::client client_;
  pipeline::cpu_pool cpu_;
  pipeline::cpu_pool file_thread_;
  // The backup whose passes ran last.
  std::string backup_id_;
  std::vector<collection_job> jobs_;
  std::array<collection_record, 3> records_{};
};

}  // namespace idabus::engine
