#pragma once
// Restore files (DESIGN §8): "<Collection>.<seq:06>.json", each a JSON array of documents that any
// Cosmos import tool can read. Layout of a file written here:
//
//   [\n<document>,\n<document>\n]\n
//
// - Every document is the raw bytes of a backed-up document with the top-level system properties
//   _rid, _self, _etag and _attachments removed; nothing else is touched (key order, numbers,
//   escapes, whitespace inside the document survive; `_ts` stays).
// - restore_file_writer rolls over to the next sequence number before a file would exceed
//   `max_file_bytes` (64 MiB by default; the whole file, brackets and separators included). Each
//   file is written in pieces of `piece_bytes` under a temporary name while it fills, then
//   fsync'd and renamed (atomic_file_writer), so a crash leaves either a whole file or none (plus
//   at most one temporary file per collection); memory is one piece per writer, whatever the
//   file size. A collection without documents gets no file.
// - restore_file_reader streams one file: one document's raw bytes at a time (a view into the
//   reader's buffer), found by a scan that skips strings and counts brackets, then checked whole
//   by simdjson's DOM parser. It reads restore_read_bytes at a time: memory is that window, or
//   twice the largest document when one is longer, whatever the size of the file.
// Blocking: writer and reader do file I/O; call them on a file thread or in a tool's main.
// Errors: restore_file_error with a problem value; the message names the file and, for
// content problems, the byte offset.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::files {

inline constexpr std::uint64_t default_restore_file_bytes = 64ull << 20;
/// Bytes a restore_file_reader reads from its file at a time.
inline constexpr std::size_t restore_read_bytes = 1u << 20;
/// Bytes a restore_file_writer collects before it writes them to the file.
inline constexpr std::size_t default_restore_piece_bytes = 1u << 20;

enum class restore_file_problem {
  missing,          ///< the file does not exist or cannot be read
  not_an_array,     ///< the top-level value is not a JSON array (or bytes follow it)
  not_an_object,    ///< an element of the array is not a JSON object
  malformed,        ///< not well-formed JSON
  too_large,        ///< a single document does not fit into one restore file
};
std::string_view to_string(restore_file_problem problem) noexcept;

class restore_file_error : public std::runtime_error {
 public:
  restore_file_error(restore_file_problem problem, const std::string& what)
      : std::runtime_error(what), problem_(problem) {}
  restore_file_problem problem() const noexcept { return problem_; }

 private:
  restore_file_problem problem_;
};

/// "Resources.000001.json" (at least six digits).
std::string restore_file_name(std::string_view collection, std::uint32_t sequence);

/// The sequence number of `file_name` when it is a restore file of `collection`
/// ("<collection>.<digits>.json", at least six digits); std::nullopt otherwise (temporary files too).
std::optional<std::uint32_t> restore_file_sequence(std::string_view file_name, std::string_view collection);

/// The restore files of `collection` in `folder`, in ascending sequence number. Throws file_error
/// when `folder` is not a readable directory.
std::vector<std::filesystem::path> list_restore_files(const std::filesystem::path& folder,
                                                      std::string_view collection);

/// Removes the top-level _rid, _self, _etag and _attachments members of one raw JSON object without
/// re-serializing it. One per worker (owns a simdjson parser and buffers). Not thread-safe.
class system_property_stripper {
 public:
  system_property_stripper();
  ~system_property_stripper();
  system_property_stripper(system_property_stripper&&) noexcept;
  system_property_stripper& operator=(system_property_stripper&&) noexcept;

  /// The document without its system properties: a view of `raw_document` itself when it has none,
  /// otherwise of a buffer inside the stripper, valid until the next call. Throws
  /// restore_file_error (malformed / not_an_object) when `raw_document` is not one JSON object.
  std::string_view strip(std::string_view raw_document);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One written restore file, as restore-plan.json lists it.
struct restore_file_entry {
  std::string file;  ///< file name inside the output folder: "Resources.000001.json"
  std::uint64_t documents = 0;
  std::uint64_t bytes = 0;
  std::string sha256;  ///< lowercase hex of the file's bytes
  bool operator==(const restore_file_entry&) const = default;
};

struct restore_file_options {
  std::uint64_t max_file_bytes = default_restore_file_bytes;
  std::uint32_t first_sequence = 1;
  std::size_t piece_bytes = default_restore_piece_bytes;  ///< written to the file in pieces of this size
};

class restore_file_writer {
 public:
  /// Throws std::invalid_argument when max_file_bytes cannot hold even an empty-ish file (< 8) or
  /// piece_bytes is 0.
  restore_file_writer(std::filesystem::path folder, std::string collection, restore_file_options options = {});
  ~restore_file_writer();
  restore_file_writer(restore_file_writer&&) noexcept;
  restore_file_writer& operator=(restore_file_writer&&) noexcept;

  /// Appends one document (system properties stripped). Writes the current file first when the
  /// document would not fit. Throws restore_file_error (malformed, not_an_object, too_large) and
  /// file_error.
  void add(std::string_view raw_document);

  /// Appends one document whose system properties the caller already removed
  /// (system_property_stripper, e.g. on a CPU worker); otherwise as add(). Throws too_large, file_error.
  void append_stripped(std::string_view document);

  /// Writes the last file (if it holds documents) and returns every file written, in order.
  /// The writer takes no documents afterwards.
  const std::vector<restore_file_entry>& finish();

  /// The files written so far, in order.
  const std::vector<restore_file_entry>& written() const noexcept;

  /// The bytes of memory the writer holds for file contents not yet written (at most piece_bytes;
  /// a document of a piece or more goes to the file directly).
  std::size_t buffered_bytes() const noexcept;

  /// Removes every file this writer wrote, the temporary file of the one it was writing, and drops
  /// the pending documents (after a failure, so that nothing half-done stays in the output
  /// folder). Never throws.
  void discard() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

class restore_file_reader {
 public:
  /// Opens `path` and reads up to its '['. Throws restore_file_error (missing, malformed for an
  /// empty file, not_an_array).
  explicit restore_file_reader(std::filesystem::path path);
  ~restore_file_reader();
  restore_file_reader(restore_file_reader&&) noexcept;
  restore_file_reader& operator=(restore_file_reader&&) noexcept;

  /// The next document's raw bytes (a view valid until the next call; simdjson's padding is
  /// readable after it), or std::nullopt after the last one (bytes after the closing ']' are
  /// checked then). Throws restore_file_error
  /// (not_an_object, malformed, not_an_array) naming the file and the byte offset.
  std::optional<std::string_view> next();

  /// Byte offset in the file of the document last returned by next().
  std::uint64_t offset() const noexcept;
  /// Documents returned so far.
  std::uint64_t documents_read() const noexcept;
  /// The file's size in bytes when it was opened.
  std::uint64_t file_bytes() const noexcept;
  /// Bytes the reader holds for the file's text (its read window plus simdjson's padding).
  std::size_t buffered_bytes() const noexcept;
  const std::filesystem::path& path() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace idabus::io::files
