#pragma once
// Blocking file helpers for backup sets: durable atomic replacement of a file, and whole-file
// reads. Blocking by design: call them on the pipeline's one file thread, never on an I/O thread.
//
// write_file_atomically(path, bytes):
//   1. creates "<name>.tmp-<pid>-<n>" in the same directory (O_EXCL, so never an existing file),
//   2. writes every byte, fsyncs the file,
//   3. renames it over `path` (atomic on POSIX within one file system),
//   4. fsyncs the directory, so the rename itself survives a crash.
//   On any failure the temporary file is removed and file_error is thrown: `path` then holds
//   either its old content or does not exist, never a partial file.
// Errors: file_error names the operation and the path and carries the errno text.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idabus::io::files {

class file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

/// fsync of a directory (makes renames and creations inside it durable). Throws file_error.
void fsync_directory(const std::filesystem::path& dir);

/// The whole content of a regular file. Throws file_error (missing file, not readable).
std::string read_file(const std::filesystem::path& path);

/// True when `name` looks like a temporary file of write_file_atomically ("*.tmp-<pid>-<n>").
bool is_temporary_name(std::string_view name);

}  // namespace idabus::io::files
