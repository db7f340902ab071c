#pragma once
// restore-plan.json (DESIGN §8): what importTool --generateRestoreFiles wrote into an output
// folder and from which backups. Written last and atomically (write_file_atomically), after every
// restore file: its presence means the folder is complete. Layout (keys exactly these; unknown keys
// are ignored when parsing):
//
// { "formatVersion": 1, "maximumBackupFinalTimeUtc": "2026-11-30T02:00:00.000Z", "toolVersion": "0.1.0",
//   "collections": [
//     { "name": "Resources", "partitionKeyPath": "/objecttype",
//       "sourceBackups": [ { "backupId": "<event id>", "folder": "backup-20261130T010000Z-<id>",
//                            "type": "full" | "incremental", "completedtime": "<time>" } ],
//       "documents": N, "bytes": N, "deletesApplied": N,
//       "files": [ { "file": "Resources.000001.json", "documents": N, "bytes": N, "sha256": "<64 hex>" } ] } ] }
//
// - sourceBackups: the chain in restore order (the full backup first). files: ascending sequence;
//   documents/bytes of a collection are the sums over its files. deletesApplied: documents that a
//   tombstone removed from the output (issue 10).
// - parse_restore_plan / read_restore_plan throw restore_plan_error naming the field path.

#include "io/files/manifest.hpp"
#include "io/files/restore_file.hpp"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::files {

inline constexpr int restore_plan_format_version = 1;
inline constexpr std::string_view restore_plan_file_name = "restore-plan.json";

struct plan_source_backup {
  std::string backup_id;
  std::string folder;  ///< the set's folder name inside the backup folder
  backup_type type = backup_type::full;
  utc_time completed_time{};
  bool operator==(const plan_source_backup&) const = default;
};

struct plan_collection {
  std::string name;
  std::string partition_key_path;
  std::vector<plan_source_backup> source_backups;
  std::uint64_t documents = 0;
  std::uint64_t bytes = 0;
  std::uint64_t deletes_applied = 0;
  std::vector<restore_file_entry> files;
  bool operator==(const plan_collection&) const = default;
};

struct restore_plan {
  int format_version = restore_plan_format_version;
  utc_time until{};  ///< maximumBackupFinalTimeUtc (T)
  std::string tool_version;
  std::vector<plan_collection> collections;
  bool operator==(const restore_plan&) const = default;
};

class restore_plan_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The JSON text of `plan` (the layout above, pretty-printed, ends with '\n').
std::string to_json(const restore_plan& plan);

/// Throws restore_plan_error (not JSON, unsupported formatVersion, a field missing or mistyped).
restore_plan parse_restore_plan(std::string_view json);

/// Writes <folder>/restore-plan.json atomically. Throws file_error.
void write_restore_plan(const std::filesystem::path& folder, const restore_plan& plan);

/// Reads <folder>/restore-plan.json. Throws restore_plan_error (also when it is missing).
restore_plan read_restore_plan(const std::filesystem::path& folder);

/// The restore files of `collection` in `folder`, in sequence order (list_restore_files), checked
/// against the folder's restore-plan.json when it has one: every file the plan lists for the
/// collection must be there with its size, and no other (a missing, cut or stray file would
/// otherwise be imported or compared as if the restore were whole). `planned`: the plan lists the
/// collection, so no files means a collection without documents (not "look elsewhere"). Without a
/// plan the listing is returned as it is. Throws restore_plan_error naming the first file that
/// differs, file_error.
struct planned_restore_files {
  std::vector<std::filesystem::path> files;
  bool planned = false;
};
planned_restore_files list_planned_restore_files(const std::filesystem::path& folder, std::string_view collection);

}  // namespace idabus::io::files
