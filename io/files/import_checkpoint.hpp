#pragma once
// The state exportRaw keeps next to its restore files (DESIGN §8, --resume): a checkpoint of the
// completed prefix of its input, and the reject file. Both live in the folder of the restore
// files, named after the target:
//
//   exportRaw.<database>.<collection>.checkpoint.json   (written atomically: temp, fsync, rename)
//   { "formatVersion": 1, "database": "idabus", "collection": "Resources",
//     "partitionKeyPath": "/objecttype",
//     "files": [ { "file": "Resources.000001.json", "documents": 5000, "bytes": 15123456 } ],
//     "position": 7500,
//     "ranges": [ { "min": "", "max": "3F", "completed": 7100 }, { "min": "3F", "max": "FF", "completed": 7500 } ],
//     "rejected": 2, "rejectsBytes": 412 }
//
//   exportRaw.<database>.<collection>.rejects.jsonl      (appended and fsync'd before each checkpoint)
//   {"file":"Resources.000002.json","index":17,"id":"a1","partitionKey":"[\"Person\"]","status":400,"substatus":0,"reason":"..."}
//
// - Documents are numbered in input order (the files in this order) from 0. position: every
//   document before it was read. ranges: the effective partition key ranges [min, max) of the
//   collection; completed: every document before it whose EPK lies in the range has its final
//   result (written, or a line in the reject file); each range is read on its own, so completed
//   may lie beyond position. A rerun skips a document numbered n when n < completed of its range,
//   or, when it has no partition key value (such documents were rejected before sending), when
//   n < position. Per range, because a hot range finishes its prefix much later than the others:
//   one prefix for all would re-send most of the cold ranges' work.
// - rejected: lines in the reject file at this checkpoint; rejectsBytes: its length then (a rerun
//   cuts it back to that, so a line appended after the last checkpoint is never there twice).
// - partitionKey is the header form (a JSON array), empty when the document had no value.
//   status 0: refused before sending (no id, no partition key value); otherwise the service's.
// Blocking file I/O: call these on a file thread or in a tool's main. Errors: file_error (I/O),
// import_checkpoint_error (a checkpoint that is not this format), naming the file and field.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::files {

inline constexpr int import_checkpoint_format_version = 1;

/// One restore file of an import's input.
struct import_input_file {
  std::string file;  ///< file name (no folder)
  std::uint64_t documents = 0;
  std::uint64_t bytes = 0;
  bool operator==(const import_input_file&) const = default;
};

/// How far one effective partition key range [min, max) got.
struct import_range_progress {
  std::string min;  ///< EPK, inclusive ("" = the start)
  std::string max;  ///< EPK, exclusive ("FF" = the end)
  std::uint64_t completed = 0;
  bool operator==(const import_range_progress&) const = default;
};

struct import_checkpoint {
  std::string database;
  std::string collection;
  std::string partition_key_path;
  std::vector<import_input_file> files;
  std::uint64_t position = 0;
  std::vector<import_range_progress> ranges;
  std::uint64_t rejected = 0;
  std::uint64_t rejects_bytes = 0;
  bool operator==(const import_checkpoint&) const = default;
};

/// One line of the reject file.
struct import_reject {
  std::string file;
  std::uint64_t index = 0;    ///< the document's position in its file (0-based)
  std::string id;
  std::string partition_key;  ///< JSON array text; empty when none
  unsigned status = 0;
  int substatus = 0;
  std::string reason;
  bool operator==(const import_reject&) const = default;
};

class import_checkpoint_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::filesystem::path import_checkpoint_path(const std::filesystem::path& folder, std::string_view database,
                                             std::string_view collection);
std::filesystem::path import_rejects_path(const std::filesystem::path& folder, std::string_view database,
                                          std::string_view collection);

std::string to_json(const import_checkpoint& checkpoint);
/// Throws import_checkpoint_error naming the field.
import_checkpoint parse_import_checkpoint(std::string_view json);
/// std::nullopt when there is no checkpoint file. Throws import_checkpoint_error (naming the
/// file) or file_error.
std::optional<import_checkpoint> read_import_checkpoint(const std::filesystem::path& path);
/// Atomically (write_file_atomically). Throws file_error.
void write_import_checkpoint(const std::filesystem::path& path, const import_checkpoint& checkpoint);

/// One line of the reject file, with its '\n'.
std::string reject_line(const import_reject& reject);
/// Appends the lines, then fsyncs (creating the file when missing). Returns the file's length.
/// Throws file_error.
std::uint64_t append_rejects(const std::filesystem::path& path, std::span<const import_reject> rejects);
/// Cuts the reject file back to `bytes` (creating it empty when missing). Throws file_error.
void truncate_rejects(const std::filesystem::path& path, std::uint64_t bytes);

}  // namespace idabus::io::files
