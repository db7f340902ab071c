#pragma once
// persistence: the append-only log behind `cosmos-emulator --data-dir D`.
//
// One file, D/emulator.log, of records framed as
//   u32 payload length (little endian) | u32 CRC-32 of the payload | payload
//   payload = u8 record type | fields, each u32 length + bytes
// The store decides what the types and fields mean; this class only frames, checksums, buffers,
// syncs and rewrites.
// - append() buffers in memory (thread-safe, cheap); flush() writes the buffer and fdatasyncs:
//   group commit — callers flush once per request or batch. Concurrent flushers share syncs: a
//   flush whose records were already made durable by another thread's sync returns at once, and
//   one sync covers every record appended before it started. A buffer over 8 MiB is written
//   (not synced) by append itself, so memory stays bounded when nobody flushes.
// - load() replays every intact record in order. The first torn or corrupt record (short
//   header, length past the end, CRC mismatch) ends the replay: the intact prefix is kept, the
//   file is truncated there, and the number of dropped bytes is reported.
// - rewrite() writes a new log from a snapshot (compaction) to D/emulator.log.tmp, fsyncs it,
//   renames it over the old log and fsyncs the directory, so a crash leaves either log whole.
//   Callers must stop appends while it runs (the store holds its exclusive lock).
// Errors (cannot create, open, write, sync or rename) throw std::runtime_error naming the path.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace idabus::emulator {

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
std::uint32_t crc32(std::string_view data) noexcept;

class durable_log {
 public:
  using fields = std::initializer_list<std::string_view>;
  /// Receives one replayed record; the views live until it returns.
  using replay_fn = std::function<void(std::uint8_t type, std::span<const std::string_view> fields)>;
  /// A snapshot producer: calls `emit` once per live record.
  using emit_fn = std::function<void(std::uint8_t type, fields)>;

  struct load_result {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;          ///< intact bytes kept
    std::uint64_t dropped_bytes = 0;  ///< torn/corrupt tail removed
  };

  /// Creates `directory` if needed; the log file is opened by load().
  explicit durable_log(std::filesystem::path directory);
  ~durable_log();
  durable_log(const durable_log&) = delete;
  durable_log& operator=(const durable_log&) = delete;

  /// Replays the log (creating an empty one if absent) and opens it for appending.
  load_result load(const replay_fn& apply);

  void append(std::uint8_t type, fields record_fields);

  /// Writes buffered records and fdatasyncs the file.
  void flush();

  /// Replaces the log by the records `produce` emits (after flushing the buffer).
  void rewrite(const std::function<void(const emit_fn& emit)>& produce);

  /// Bytes in the file plus bytes still buffered.
  std::uint64_t size_bytes() const;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  void write_locked(bool sync);  // file_mu_ held

  std::filesystem::path directory_;
  std::filesystem::path path_;
  int fd_ = -1;
  mutable std::mutex file_mu_;  ///< order: file_mu_ before buffer_mu_
  mutable std::mutex buffer_mu_;
  std::string buffer_;
  std::uint64_t appended_ = 0;  ///< records appended so far (buffer_mu_)
  std::uint64_t synced_ = 0;    ///< records made durable (file_mu_)
  std::uint64_t file_bytes_ = 0;
};

}  // namespace idabus::emulator
