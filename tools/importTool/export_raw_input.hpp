#pragma once
// export_raw_input: what -exportRaw reads and where it keeps its state (DESIGN §8).
// - <restoreFile> a file: that file alone. A folder: its restore files of <collectionName>
//   ("<collectionName>.<seq:06>.json"), ascending sequence; when it holds none of those but the
//   restore files of exactly one other collection, those (a restore into a collection of another
//   name), with a note saying so. A folder with a restore-plan.json must hold exactly the files it
//   lists for that collection, with their sizes (io/files/restore_plan: list_planned_restore_files).
// - The checkpoint and the reject file live next to the restore files (the folder, or the file's
//   folder): io/files/import_checkpoint.hpp names them.
// - check_resumable(): a --resume run continues from a checkpoint only when it was written for
//   the same target, partition key path and files (names, documents, bytes, order).
// Blocking (lists a folder). Throws command_error (exit_failed) naming the path or the mismatch.

#include "io/files/import_checkpoint.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::import_tool {

struct export_raw_input {
  std::vector<std::filesystem::path> files;  ///< in import order
  std::filesystem::path state_folder;        ///< checkpoint and reject file
  std::string note;                          ///< for stderr; empty when nothing to say
};

export_raw_input resolve_export_raw_input(const std::filesystem::path& restore_file, std::string_view collection);

/// Throws command_error naming the difference; `current` describes this run.
void check_resumable(const io::files::import_checkpoint& saved, const io::files::import_checkpoint& current,
                     const std::filesystem::path& checkpoint_file);

}  // namespace idabus::import_tool
