#pragma once
// orchestrator: runs one backup through the phases of DESIGN §6 and keeps its request event.
//   Basis -> InMaintenanceMode -> InMaintenanceAndReadonlyMode -> Finalizing
// - start(): recovers an abandoned backup first (recover_abandoned), takes the lease (busy ->
//   start_outcome::busy, the API's 409), writes the event (Running, Basis, the modes before the
//   backup), and runs the backup in the background. The backup pass itself (reading ranges into
//   chunks) is injected (backup_pass), so the phases are testable without the pipeline.
// - Basis: the basis pass (full, or `_ts >= since - margin` for incrementals; since given, else
//   computed from earlier Completed events, else full and the event says so).
// - InMaintenanceMode: maintenance on; waits (Backup.MaintenanceWaitSeconds) for running workflow
//   steps; still running after that fails the backup.
// - InMaintenanceAndReadonlyMode: read-only on; waits the modes cache ttl (other processes), drains
//   this process's writes in flight, runs the delta pass (`_ts >= basisStart - margin`; it also
//   records the deletes since `since - margin`, or since `basisStart - margin` for a full
//   backup), takes completedtime at its end. The whole phase is bounded by Backup.MaxReadOnlySeconds.
// - Finalizing: the injected finalizer (the set's manifest) runs, only after a successful delta
//   pass; a cancel after it no longer applies. Then, in every outcome (success, cancel, failure,
//   shutdown), the modes are set back to exactly those before the backup, the event gets its
//   final status, and the lease is released.
// - While it runs, the lease is renewed every ttl/3 and progress written at most every
//   Backup.ProgressSeconds; losing the lease fails the backup.
// Runs on one executor (not thread-safe). Cancellation: cancel() stops the running backup at its
// next suspension point; the cleanup above still runs (it resets the cancellation state).

#include "tools/idabus-engine/activity.hpp"
#include "tools/idabus-engine/backup_event.hpp"
#include "tools/idabus-engine/backup_spec.hpp"
#include "tools/idabus-engine/config.hpp"
#include "tools/idabus-engine/lease.hpp"
#include "tools/idabus-engine/metrics.hpp"
#include "tools/idabus-engine/modes.hpp"
#include "tools/idabus-engine/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace idabus::engine {

enum class pass_kind { basis, delta };

struct collection_job {
  collection_kind kind = collection_kind::resources;
  std::string container;           ///< the Cosmos collection name
  std::string partition_key_path;  ///< "/objecttype" or "/id"
  std::optional<std::int64_t> min_ts;  ///< `_ts >= min_ts` (seconds, margin applied); none = all
  /// Delta pass only: also record the collection's deletes whose request events have
  /// `_ts >= deletes_since` into its tombstones: since - margin for an incremental (the basis
  /// pass's bound), basisStart - margin for a full backup (deletes while its basis ran).
  std::optional<std::int64_t> deletes_since;
};

struct pass_request {
  pass_kind kind = pass_kind::basis;
  std::filesystem::path set_folder;  ///< <folder>/backup-<time>-<id>
  std::string backup_id;
  std::vector<collection_job> collections;
};

struct collection_totals {
  std::uint64_t documents = 0, raw_bytes = 0, compressed_bytes = 0, chunks = 0, throttled = 0;
  double request_charge = 0;
};

/// Counters the pass updates while it runs (from any thread).
struct pass_progress {
  std::atomic<std::uint64_t> documents{0};
  std::atomic<std::uint64_t> request_charge_milli{0};
};

using pass_result = std::array<collection_totals, 3>;  ///< indexed by collection_kind
using backup_pass = std::function<net::awaitable<pass_result>(pass_request, pass_progress*)>;
/// Runs last in Finalizing, after the delta pass (the event has its completedtime): writes the
/// set's manifest. Optional; when it throws, the backup fails.
using backup_finalizer = std::function<net::awaitable<void>(backup_event)>;

enum class start_outcome { started, busy };
struct start_result {
  start_outcome outcome = start_outcome::busy;
  std::string event_id;
};

class orchestrator {
 public:
  orchestrator(net::any_io_executor executor, store& documents, modes_registry& modes, backup_lease& lease,
               activity_counter& writes, activity_counter& steps, metrics& counters, backup_settings settings,
               backup_pass pass, backup_finalizer finalize = {});
  ~orchestrator();

  net::awaitable<start_result> start(backup_spec spec, std::string spec_json, std::filesystem::path folder,
                                     std::string comment);
  /// True when a backup of this process was asked to stop.
  bool cancel();
  /// The phase of this process's backup, if one runs.
  std::optional<backup_phase> local_phase() const;
  /// The phase of the backup running anywhere on the database (this process, else the lease
  /// holder's event); std::nullopt when none runs.
  net::awaitable<std::optional<backup_phase>> phase_anywhere();
  /// Waits until this process's backup (if any) has finished its cleanup.
  net::awaitable<void> wait_idle();
  /// Marks a dead owner's Running event Failed, restores its recorded modes, frees the lease.
  /// True when it recovered something.
  net::awaitable<bool> recover_abandoned();
  /// Calls recover_abandoned every ttl/3 (when no local backup runs). Ends by cancellation.
  net::awaitable<void> run_watchdog();

  struct running;

 private:
  net::awaitable<void> run(running& r);
  net::awaitable<void> phases(running& r);
  net::awaitable<void> readonly_phase(running& r);
  net::awaitable<void> keep_alive(running& r);
  net::awaitable<void> save_event(running& r);
  net::awaitable<void> enter_phase(running& r, backup_phase phase);
  net::awaitable<void> resolve_since(running& r, const backup_spec& spec);
  net::awaitable<void> run_pass(running& r, pass_kind kind);
  collection_job job_for(collection_kind kind, std::optional<std::int64_t> min_ts) const;

  net::any_io_executor executor_;
  store& store_;
  modes_registry& modes_;
  backup_lease& lease_;
  activity_counter& writes_;
  activity_counter& steps_;
  metrics& metrics_;
  backup_settings settings_;
  backup_pass pass_;
  backup_finalizer finalize_;
  std::unique_ptr<running> current_;
  bool starting_ = false;
  net::cancellation_signal cancel_;  ///< outlives every backup coroutine bound to its slot
  net::steady_timer idle_;
};

}  // namespace idabus::engine
