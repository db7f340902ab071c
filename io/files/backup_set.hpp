#pragma once
// verify_backup_set: checks a backup set folder against its manifest (importTool --verify, and
// the restore's chain selection). Blocking; run it on a file thread or in a tool's main.
//
// - No manifest.json: status incomplete (a set is complete only once its manifest exists).
// - A manifest that does not parse: status bad_manifest, with the parser's message (field named).
// - Otherwise every chunk (and tombstones file) listed is read and re-hashed with SHA-256 in
//   pieces of `read_block_bytes`; size and hash are compared with the manifest. With
//   `decompress`, each file is also decompressed (frame checksum verified by zstd) and its
//   lines and raw bytes compared with `documents` and `rawBytes`. Every problem is reported,
//   not only the first: status corrupt when there is at least one.
// Never throws for a damaged set; throws only for programming errors (e.g. bad_alloc).

#include "io/files/chunk.hpp"
#include "io/files/manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace idabus::io::files {

enum class set_status { complete, incomplete, bad_manifest, corrupt };
std::string_view to_string(set_status status) noexcept;

struct chunk_issue {
  std::string collection;
  std::string file;  ///< as listed in the manifest
  chunk_problem problem = chunk_problem::missing;
  std::string detail;  ///< one line: what was expected and what was found
};

struct verify_options {
  bool decompress = false;
  std::size_t read_block_bytes = 1 << 20;
};

struct verify_report {
  set_status status = set_status::incomplete;
  std::optional<files::manifest> manifest;  ///< set unless incomplete / bad_manifest
  std::string manifest_error;       ///< for incomplete / bad_manifest
  std::vector<chunk_issue> issues;   ///< in manifest order
  std::uint64_t files_checked = 0;
  std::uint64_t bytes_checked = 0;
  bool ok() const noexcept { return status == set_status::complete; }
};

verify_report verify_backup_set(const std::filesystem::path& set_dir, verify_options options = {});

}  // namespace idabus::io::files
