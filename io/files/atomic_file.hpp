#pragma once
// Blocking file helpers for backup sets: durable atomic replacement of a file, and whole-file
// reads. Blocking by design: call them on the pipeline's one file thread, never on an I/O thread.
//
// write_file_atomically(path, bytes):
//   1. creates "<name>.tmp-<pid>-<n>" in the same directory (O_EXCL, so never an existing file),
//   2. writes every byte, fsyncs the file (with file_cache::skip, a file of direct_io_min_bytes
//      or more skips the page cache: its whole blocks are written with O_DIRECT through an
//      aligned buffer of the calling thread, the tail normally. For files nobody reads soon, e.g.
//      a backup's chunks: the fsync makes them durable either way, and copying them into the
//      cache cost the backup ~3 CPU-ms per MB. Where the file system refuses O_DIRECT, every byte
//      goes through the cache),
//   3. renames it over `path` (atomic on POSIX within one file system),
//   4. fsyncs the directory, so the rename itself survives a crash.
//   On any failure the temporary file is removed and file_error is thrown: `path` then holds
//   either its old content or does not exist, never a partial file.
// atomic_file_writer: the same steps for a file written in pieces (step 2 spread over write()
// calls, steps 2's fsync to 4 in commit()), so that a large file never has to be in memory whole.
// Destroyed (or discarded) without commit() it removes its temporary file.
// Errors: file_error names the operation and the path and carries the errno text.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idabus::io::files {

class file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Files at least this large are written with O_DIRECT (see above).
inline constexpr std::size_t direct_io_min_bytes = 256 * 1024;
/// O_DIRECT writes whole blocks of this size from memory aligned to it.
inline constexpr std::size_t direct_io_block = 4096;
/// The aligned buffer each writing thread keeps for O_DIRECT (bytes per write call).
inline constexpr std::size_t direct_io_bounce_bytes = 1024 * 1024;

/// Whether write_file_atomically leaves the file's pages in the page cache.
enum class file_cache {
  keep,  ///< ordinary buffered writes: a reader soon after finds the bytes in memory
  skip,  ///< O_DIRECT for large files (see above)
};

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           file_cache cache = file_cache::keep);

/// A file written in pieces under a temporary name and renamed over `path` by commit() (see above).
class atomic_file_writer {
 public:
  /// Creates the temporary file next to `path`. Throws file_error.
  explicit atomic_file_writer(std::filesystem::path path);
  ~atomic_file_writer();
  atomic_file_writer(const atomic_file_writer&) = delete;
  atomic_file_writer& operator=(const atomic_file_writer&) = delete;

  /// Appends `bytes` (file_cache::skip: O_DIRECT for the whole blocks of a piece of at least
  /// direct_io_min_bytes while the file offset is block-aligned). Throws file_error.
  void write(std::string_view bytes, file_cache cache = file_cache::keep);
  /// fsync, rename over the path, fsync of the directory; the writer takes no bytes afterwards.
  /// Throws file_error (the temporary file is removed then).
  void commit();

  const std::filesystem::path& path() const noexcept { return path_; }
  const std::filesystem::path& temporary_path() const noexcept { return temp_path_; }
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t bytes_written_ = 0;
};

/// fsync of a directory (makes renames and creations inside it durable). Throws file_error.
void fsync_directory(const std::filesystem::path& dir);

/// A regular file open for reading, closed when destroyed. Move-only.
class read_only_file {
 public:
  /// Opens `path` without waiting on it (a named pipe is refused, never waited on for a writer).
  /// Throws file_error when it is missing, unreadable or not a regular file.
  explicit read_only_file(const std::filesystem::path& path);
  ~read_only_file();
  read_only_file(read_only_file&& other) noexcept;
  read_only_file& operator=(read_only_file&& other) noexcept;
  read_only_file(const read_only_file&) = delete;
  read_only_file& operator=(const read_only_file&) = delete;

  /// Reads up to `n` bytes into `out`; 0 at the end of the file. Throws file_error.
  std::size_t read_some(char* out, std::size_t n);
  /// The file's size when it was opened.
  std::uint64_t size() const noexcept { return size_; }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// The whole content of a regular file, read into a string of the file's size (growing it only
/// when the file grew meanwhile). Throws file_error (missing file, not readable).
std::string read_file(const std::filesystem::path& path);

/// True when `name` looks like a temporary file of write_file_atomically ("*.tmp-<pid>-<n>").
bool is_temporary_name(std::string_view name);

}  // namespace idabus::io::files
