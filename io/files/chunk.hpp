#pragma once
// Chunk files of a backup set (DESIGN §7): "<Collection>/<seq:06>.jsonl.zst", each exactly ONE
// zstd frame with the content checksum and the content size in its header; inside, JSON Lines:
// every line is one document exactly as Cosmos returned it, followed by '\n'.
//
// - chunk_encoder (CPU side of the writer): compresses one chunk's raw JSON Lines into one frame
//   and hashes the frame bytes (SHA-256, the value the manifest lists). One encoder per worker:
//   it owns one ZSTD_CCtx that is reused for every chunk. Not thread-safe; movable.
// - chunk_decoder (reader): checks the file's SHA-256 (when the caller has one), that the bytes
//   are exactly one frame with a content checksum, and decompresses it (zstd verifies the
//   checksum). One ZSTD_DCtx per decoder, reused. Not thread-safe; movable.
// - json_lines: iterates the lines of decompressed text as string_views into it (no copy, no
//   re-serialization).
// Errors: chunk_error with a chunk_problem value and a message naming the file (when known).
// The file itself is written with write_file_atomically (atomic_file.hpp) on the file thread.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idabus::io::files {

enum class chunk_problem {
  missing,           ///< the file does not exist or cannot be read
  sha256_mismatch,   ///< the file's bytes do not hash to the expected SHA-256
  not_one_frame,     ///< not a zstd frame, a truncated frame, or bytes after the first frame
  no_checksum,       ///< the frame has no content checksum
  corrupt,           ///< zstd rejected the content (corrupt block, checksum mismatch)
  size_mismatch,     ///< the content size differs from what the caller expected
};

std::string_view to_string(chunk_problem problem) noexcept;

class chunk_error : public std::runtime_error {
 public:
  chunk_error(chunk_problem problem, const std::string& what) : std::runtime_error(what), problem_(problem) {}
  chunk_problem problem() const noexcept { return problem_; }

 private:
  chunk_problem problem_;
};

/// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

/// Incremental SHA-256 (for hashing a file in pieces). Movable, not copyable.
class sha256_hasher {
 public:
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(sha256_hasher&&) noexcept;
  sha256_hasher& operator=(sha256_hasher&&) noexcept;
  void update(std::string_view bytes);
  /// Lowercase hex digest; the hasher must not be updated afterwards.
  std::string finish();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The file name of chunk `number` (1-based): "000001.jsonl.zst".
std::string chunk_file_name(std::uint32_t number);

struct encoded_chunk {
  std::string bytes;   ///< the file content: one zstd frame
  std::string sha256;  ///< lowercase hex SHA-256 of `bytes`
};

class chunk_encoder {
 public:
  /// `level`: the zstd compression level (Backup.CompressionLevel). Throws
  /// std::invalid_argument outside 1..ZSTD_maxCLevel().
  explicit chunk_encoder(int level);
  ~chunk_encoder();
  chunk_encoder(chunk_encoder&&) noexcept;
  chunk_encoder& operator=(chunk_encoder&&) noexcept;

  /// One frame holding `raw` (content checksum and size on) and its SHA-256. Throws
  /// std::runtime_error when zstd fails (out of memory).
  encoded_chunk encode(std::string_view raw);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

class chunk_decoder {
 public:
  chunk_decoder();
  ~chunk_decoder();
  chunk_decoder(chunk_decoder&&) noexcept;
  chunk_decoder& operator=(chunk_decoder&&) noexcept;

  /// Decompresses one chunk file's bytes. `name` only labels errors. Throws chunk_error
  /// (not_one_frame, no_checksum, corrupt).
  std::string decode(std::string_view bytes, std::string_view name = "chunk");

  /// As decode(), into `out` (its capacity is reused: no new allocation for a chunk no larger than
  /// the last one).
  void decode_into(std::string_view bytes, std::string& out, std::string_view name = "chunk");

  /// Reads and decodes a chunk file; with `expected_sha256`, the file's hash is checked first
  /// (sha256_mismatch). Throws chunk_error (missing and the decode problems).
  std::string read(const std::string& path, std::optional<std::string> expected_sha256 = std::nullopt);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The lines of JSON Lines text, each without its '\n'. A last line without '\n' is still a line;
/// the empty text has no lines. Views point into the text, which must outlive the iteration.
class json_lines {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = const std::string_view&;

    iterator() = default;
    explicit iterator(std::string_view rest) : rest_(rest) { advance(); }
    reference operator*() const noexcept { return line_; }
    pointer operator->() const noexcept { return &line_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    iterator operator++(int) {
      auto copy = *this;
      advance();
      return copy;
    }
    bool operator==(const iterator& other) const noexcept {
      return done_ == other.done_ && (done_ || rest_.data() == other.rest_.data());
    }

   private:
    void advance() noexcept {
      if (rest_.empty()) {
        done_ = true;
        return;
      }
      const auto end = rest_.find('\n');
      line_ = rest_.substr(0, end);
      rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    }
    std::string_view rest_;
    std::string_view line_;
    bool done_ = false;
  };

  explicit json_lines(std::string_view text) : text_(text) {}
  iterator begin() const { return iterator(text_); }
  iterator end() const { return iterator(std::string_view()); }

 private:
  std::string_view text_;
};

}  // namespace idabus::io::files
