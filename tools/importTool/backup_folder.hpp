#pragma once
// backup_folder: what --generateRestoreFiles, --list and --verify share: the collection types of
// the command line, and the scan of a backup folder turned into command errors.

#include "io/files/backup_chain.hpp"
#include "tools/importTool/cli.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::import_tool {

/// The engine's collection types, in this order: Resources, Events, WorkflowExecutions.
const std::vector<std::string>& known_collection_types();

/// The partition key path of a collection type when a manifest does not say (/objecttype, /id).
std::string default_partition_key_path(std::string_view collection_type);

/// "Resources,Events": each a known type (any letter case; returned as spelled above), no empty
/// entries, duplicates removed, order kept. Throws usage_error for `cmd` naming the unknown type.
std::vector<std::string> parse_collection_types(std::string_view text, command cmd);

/// scan_backup_folder, with a missing or unreadable folder as command_error (exit 1) naming it.
std::vector<io::files::backup_set_info> scan_or_fail(const std::filesystem::path& folder);

/// One line for a set that a restore never uses: "<name>: incomplete (no manifest.json ...)".
std::string skipped_line(const io::files::backup_set_info& set);

}  // namespace idabus::import_tool
