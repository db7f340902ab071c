#pragma once
// folder_policy: where a backup may be written (DESIGN §5). The requested folder must be an
// absolute path; it is canonicalised (symlinks of the existing part resolved, `.` and `..`
// removed) and must then lie inside one of the allowed roots (themselves canonicalised). Reads
// the file system (symlinks), writes nothing.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::engine {

enum class folder_verdict {
  allowed,        ///< `canonical` is the folder to write to
  missing,        ///< no folder given (400)
  relative,       ///< not an absolute path (400)
  outside_roots,  ///< outside every allowed root after canonicalisation (403)
};

struct folder_check {
  folder_verdict verdict = folder_verdict::missing;
  std::filesystem::path canonical;
  std::string detail;  ///< what was wrong, for the problem detail
};

folder_check check_backup_folder(std::string_view requested, const std::vector<std::string>& allowed_roots);

}  // namespace idabus::engine
