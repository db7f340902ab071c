#pragma once
// The tombstones file of an incremental backup set (DESIGN §7, issue 10): the deletes of one
// collection since the set's `since` bound, "<Collection>/tombstones.jsonl.zst". Like a chunk it is
// exactly ONE zstd frame (content checksum and size on; chunk_encoder / chunk_decoder), JSON Lines
// inside, one line per delete, in the order the writer was given (the engine: by delete time):
//
//   {"id":"u-1","partitionKey":"Person","deletedTime":"2026-11-30T01:02:03.456Z","eventId":"<uuid>"}
//
// - id: the deleted document's id; partitionKey: its partition key value as JSON (a string,
//   number, bool or null; `{}` stands for Cosmos' "undefined"); deletedTime: the delete request
//   event's time, UTC with milliseconds; eventId: that event's id.
// - The manifest lists the file as the collection's `tombstones` entry (documents = lines, rawBytes,
//   bytes, sha256). The engine writes one for every collection of every set (a full set: the
//   deletes made while its basis ran), zero lines when there were none; "no entry" means "deletes
//   not recorded" (a set older than issue 10).
// - write_tombstones writes the file atomically (write_file_atomically, blocking: call it on the
//   file thread) and returns its manifest entry. read_tombstones checks sha256, the frame and the
//   line count against the entry. Errors: chunk_error for the file (missing, sha256_mismatch,
//   not_one_frame, no_checksum, corrupt; size_mismatch when the count differs), tombstone_error
//   for a line that is not a tombstone (it names the file and line number, never quotes it).

#include "io/files/chunk.hpp"
#include "io/files/manifest.hpp"
#include "io/json/document.hpp"

#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::files {

inline constexpr std::string_view tombstones_file_name = "tombstones.jsonl.zst";

struct tombstone {
  std::string id;
  json::scalar partition_key;  ///< std::monostate = Cosmos' "undefined" (written as {})
  utc_time deleted_time{};     ///< the delete request event's time (ms)
  std::string event_id;
  bool operator==(const tombstone&) const = default;
};

class tombstone_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One line of the file, without its '\n'.
std::string to_json_line(const tombstone& t);

/// Parses one line. Throws tombstone_error naming the missing or mistyped field.
tombstone parse_tombstone(std::string_view line);

/// The relative path of a collection's tombstones file: "Resources/tombstones.jsonl.zst".
std::string tombstones_file(std::string_view collection);

/// Writes <set_dir>/<collection>/tombstones.jsonl.zst atomically (creating the collection folder)
/// and returns its manifest entry. Throws file_error, std::runtime_error (zstd).
tombstones_entry write_tombstones(const std::filesystem::path& set_dir, std::string_view collection,
                                  std::span<const tombstone> tombstones, chunk_encoder& encoder);

/// Reads the file an entry lists, relative to `set_dir`. Throws chunk_error, tombstone_error.
std::vector<tombstone> read_tombstones(const std::filesystem::path& set_dir, const tombstones_entry& entry,
                                       chunk_decoder& decoder);

}  // namespace idabus::io::files
