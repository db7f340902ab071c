#pragma once
// backup_event: the backup request event (DESIGN §5), a document in Events that the orchestrator
// rewrites as the backup advances. to_json/parse_backup_event round-trip every field, so that a
// later engine can mark an abandoned event Failed and find the modes recorded before the backup,
// and so that previouscompletedtime can be computed from earlier Completed events.
// Pure functions, no I/O.

#include "tools/idabus-engine/backup_spec.hpp"
#include "tools/idabus-engine/modes.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::engine {

enum class backup_status { running, completed, canceled, failed };
enum class backup_phase { basis, maintenance, readonly, finalizing };

/// "Running", "Completed", "Canceled", "Failed".
std::string_view status_name(backup_status status);
/// "Basis", "InMaintenanceMode", "InMaintenanceAndReadonlyMode", "Finalizing".
std::string_view phase_name(backup_phase phase);

/// Where an incremental backup's lower bound came from.
enum class since_source {
  none,      ///< full backup
  given,     ///< previouscompletedtime in the request
  computed,  ///< the latest Completed backup request event that included the collection
  no_previous_backup,  ///< incremental asked, no earlier Completed backup: backed up in full
};
std::string_view since_source_name(since_source source);

struct collection_outcome {
  bool included = false;
  bool incremental = false;          ///< type Incremental (else Full)
  std::optional<std::int64_t> since_ms;
  since_source since_from = since_source::none;
  std::optional<std::int64_t> completed_ms;
  std::uint64_t documents = 0;
  std::uint64_t raw_bytes = 0;
  std::uint64_t compressed_bytes = 0;
  std::uint64_t chunks = 0;
  double request_charge = 0;
};

struct backup_timings {
  std::optional<std::int64_t> basis_started, maintenance_started, readonly_started, readonly_ended, finished;
};

struct backup_event {
  std::string id;
  std::string comment;
  std::int64_t created_ms = 0;
  backup_status status = backup_status::running;
  backup_phase phase = backup_phase::basis;
  std::string error;
  std::string folder;          ///< the backup set's folder
  std::string specification;   ///< the request body as given (JSON)
  system_modes modes_before;
  std::string owner;           ///< the engine process running it
  std::array<collection_outcome, 3> collections;  ///< indexed by collection_kind
  std::uint64_t progress_documents = 0;
  double progress_ru_per_second = 0;
  backup_timings timings;

  collection_outcome& operator[](collection_kind k) { return collections[static_cast<int>(k)]; }
  const collection_outcome& operator[](collection_kind k) const { return collections[static_cast<int>(k)]; }
};

std::string to_json(const backup_event& event);
/// Throws std::runtime_error when `json` is not a backup request event.
backup_event parse_backup_event(std::string_view json);

}  // namespace idabus::engine
