#pragma once
// The backup sets of a folder and the chain a restore at time T needs (DESIGN §8). Pure apart from
// scan_backup_folder / verify_set, which read the disk (blocking: a tool's main or a file thread).
//
// - scan_backup_folder lists the sets of a backup folder: each subdirectory that holds a
//   manifest.json or whose name starts with "backup-" (a set still being written, or left by a
//   failed backup, has no manifest yet), or the folder itself when it holds a manifest.json. Only
//   manifests are read: status is complete (manifest parsed; chunks not checked yet), incomplete
//   (no manifest) or bad_manifest. Order: sets with a manifest by completed time, then folder
//   name; the others after them, by name.
// - verify_set re-hashes a set's chunk and tombstones files (verify_backup_set): status becomes
//   corrupt with every bad file listed, or stays complete.
// - select_chain (pure): for one collection, the last *full* backup of it with completedtime <= T,
//   then every incremental of it completed after that full and <= T, in order. Sets that are
//   incomplete or have a bad manifest are never part of a chain (report them as skipped). Throws
//   chain_error naming the collection and T when no full backup qualifies; naming the set and
//   file when a set of the chain has a bad file of that collection; naming both sets when an
//   incremental's `since` lies after the previous set's completed time (changes in between are
//   in no set of the folder).

#include "io/files/backup_set.hpp"
#include "io/files/manifest.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::files {

struct backup_set_info {
  std::string name;                        ///< the set's folder name ("backup-20261130T010000Z-<id>")
  std::filesystem::path dir;
  set_status status = set_status::incomplete;
  std::optional<files::manifest> manifest;  ///< unless incomplete / bad_manifest
  std::string problem;                     ///< why incomplete / bad_manifest (one line)
  std::vector<chunk_issue> issues;         ///< corrupt: every bad file
  bool verified = false;                   ///< files re-hashed (verify_set)

  /// The manifest's entry for `collection`, or nullptr.
  const collection_manifest* collection(std::string_view name) const;
};

/// See the file comment. Throws file_error when `folder` is missing or not a readable directory.
std::vector<backup_set_info> scan_backup_folder(const std::filesystem::path& folder);

/// Re-hashes the files of a set that has a manifest (see the file comment).
void verify_set(backup_set_info& set, verify_options options = {});

class chain_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct restore_chain {
  std::string collection;
  std::vector<std::size_t> sets;  ///< indices into the scanned sets; sets[0] is the full backup
};

/// See the file comment. `sets` as scan_backup_folder orders them.
restore_chain select_chain(std::span<const backup_set_info> sets, std::string_view collection, utc_time until);

}  // namespace idabus::io::files
