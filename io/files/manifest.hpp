#pragma once
// manifest.json of a backup set (DESIGN §7). Written last and atomically: its presence means the
// set is complete. Layout (keys exactly these; unknown keys are ignored when parsing):
//
// { "formatVersion": 1, "backupId": "<event id>", "comment": "...",
//   "basisStarted": "2026-11-30T01:00:00Z", "completedtime": "2026-11-30T01:07:12.345Z",
//   "toolVersion": "0.1.0",
//   "source": { "endpointHost": "acct.documents.azure.com", "database": "idabus",
//               "collections": [ { "name": "Resources", "partitionKeyPath": "/objecttype" } ] },
//   "collections": [
//     { "name": "Resources", "type": "full" | "incremental", "since": null | "<time>",
//       "deltaSince": "<time>",
//       "documents": N, "rawBytes": N, "bytes": N, "requestCharge": 12.5,
//       "chunks": [ { "file": "Resources/000001.jsonl.zst", "phase": "basis" | "delta",
//                     "documents": N, "rawBytes": N, "bytes": N, "sha256": "<64 hex>",
//                     "minTs": N | null, "maxTs": N | null } ],
//       "tombstones": null | { "file": "Resources/tombstones.jsonl.zst", "documents": N,
//                              "rawBytes": N, "bytes": N, "sha256": "<64 hex>" } } ] }
//
// - Times are UTC ISO 8601 ("YYYY-MM-DDTHH:MM:SS[.fff]Z"); minTs/maxTs are Cosmos `_ts` seconds.
// - deltaSince: the delta pass's lower `_ts` bound (basisStarted - margin, whole seconds); the
//   restore's merge rule for deletes needs it (issue 10). Absent (or null) in older manifests.
// - Chunk files are relative to the set folder, in order; they never leave it (no absolute
//   path, no ".." segment). The connection key is never part of a manifest.
// - parse_manifest / read_manifest throw manifest_error naming the field path
//   ("collections[0].chunks[2].sha256") and what was expected. A missing manifest.json is
//   manifest_error with problem() == missing: the set is incomplete.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::files {

inline constexpr int manifest_format_version = 1;
inline constexpr std::string_view manifest_file_name = "manifest.json";

using utc_time = std::chrono::sys_time<std::chrono::milliseconds>;

/// "2026-11-30T01:07:12.345Z" (milliseconds always written).
std::string format_utc_time(utc_time time);
/// Parses "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" (fraction truncated to ms); std::nullopt when malformed.
std::optional<utc_time> parse_utc_time(std::string_view text);

enum class chunk_phase { basis, delta };
std::string_view to_string(chunk_phase phase) noexcept;

enum class backup_type { full, incremental };
std::string_view to_string(backup_type type) noexcept;

struct chunk_entry {
  std::string file;  ///< relative to the set folder: "Resources/000001.jsonl.zst"
  chunk_phase phase = chunk_phase::basis;
  std::uint64_t documents = 0;
  std::uint64_t raw_bytes = 0;  ///< uncompressed JSON Lines bytes
  std::uint64_t bytes = 0;      ///< file bytes
  std::string sha256;           ///< lowercase hex of the file bytes
  std::optional<std::int64_t> min_ts;
  std::optional<std::int64_t> max_ts;
  bool operator==(const chunk_entry&) const = default;
};

/// The deletes of an incremental set (issue 10): one file of JSON Lines tombstones.
struct tombstones_entry {
  std::string file;
  std::uint64_t documents = 0;
  std::uint64_t raw_bytes = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  bool operator==(const tombstones_entry&) const = default;
};

struct collection_manifest {
  std::string name;
  backup_type type = backup_type::full;
  std::optional<utc_time> since;  ///< set for incremental backups
  std::optional<utc_time> delta_since;  ///< the delta pass's `_ts >=` bound; none in older manifests
  std::uint64_t documents = 0;
  std::uint64_t raw_bytes = 0;
  std::uint64_t bytes = 0;
  double request_charge = 0;
  std::vector<chunk_entry> chunks;
  std::optional<tombstones_entry> tombstones;
  bool operator==(const collection_manifest&) const = default;
};

struct source_collection {
  std::string name;
  std::string partition_key_path;
  bool operator==(const source_collection&) const = default;
};

struct source_info {
  std::string endpoint_host;
  std::string database;
  std::vector<source_collection> collections;
  bool operator==(const source_info&) const = default;
};

struct manifest {
  int format_version = manifest_format_version;
  std::string backup_id;
  std::string comment;
  utc_time basis_started{};
  utc_time completed_time{};
  std::string tool_version;
  source_info source;
  std::vector<collection_manifest> collections;
  bool operator==(const manifest&) const = default;
};

enum class manifest_problem { missing, unreadable, malformed, unsupported_version, invalid_field };

class manifest_error : public std::runtime_error {
 public:
  manifest_error(manifest_problem problem, const std::string& what) : std::runtime_error(what), problem_(problem) {}
  manifest_problem problem() const noexcept { return problem_; }

 private:
  manifest_problem problem_;
};

/// The JSON text of `m` (the layout above, pretty-printed, ends with '\n').
std::string to_json(const manifest& m);

/// Parses manifest text. Throws manifest_error (malformed, unsupported_version, invalid_field).
manifest parse_manifest(std::string_view json);

/// Writes <set_dir>/manifest.json atomically (write_file_atomically). Throws file_error.
void write_manifest(const std::filesystem::path& set_dir, const manifest& m);

/// Reads <set_dir>/manifest.json. Throws manifest_error (missing = the set is incomplete).
manifest read_manifest(const std::filesystem::path& set_dir);

/// True when `file` is a safe chunk path: relative, non-empty, no "." or ".." segment.
bool is_safe_relative_path(std::string_view file);

}  // namespace idabus::io::files
