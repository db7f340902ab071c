#pragma once
// persistence: the append-only log behind `cosmos-emulator --data-dir D`.
//
// One file, D/emulator.log, of records framed as
//   u32 payload length (little endian) | u32 CRC-32 of the payload | payload
//   payload = u8 record type | fields, each u32 length + bytes
// The store decides what the types and fields mean; this class only frames, checksums, buffers,
// syncs and rewrites.
// - append() buffers in memory (thread-safe, cheap, never touches the file).
// - Group commit: after start(), a commit thread writes the buffer and fdatasyncs it whenever
//   someone waits (when_durable) or the buffer exceeds 8 MiB. when_durable(done) calls
//   done(nullptr) once every record appended before the call is synced — on the commit thread,
//   or at once when they already are — and done(error) if the write or sync failed. Every
//   waiter of one group shares one fdatasync. flush() does the same synchronously (shutdown,
//   tests, before start()).
// - Compaction: after each sync (a group or a flush()) the log asks `compaction_due(log bytes)`;
//   when it says yes, a compaction thread calls `take_snapshot()` (the owner blocks its writers,
//   notes mark() and captures its live state) and then writes that snapshot to
//   D/emulator.log.tmp with no lock held, while appends and group commits go on. Only to finish does it hold the file: the records
//   appended after the mark are copied from the old log, the copy is fsynced and renamed over the
//   old log, and the directory fsynced, so a crash leaves either log whole. rewrite() does the
//   same synchronously (start-up).
// - load() replays every record in order and checks each one:
//   * an incomplete last record (short header, or a length running past the end of the file) is
//     a torn tail: it is cut off (the file truncated) and reported in load_result;
//   * a complete record that fails its CRC or field framing, or a length of 0 or over 64 MiB,
//     is damage: load() throws std::runtime_error naming the file and the record's byte offset,
//     and leaves the file untouched (no truncation, no rewrite).
// Errors (cannot create, open, write, sync or rename) throw std::runtime_error naming the path.
// Threads: start() launches the commit and compaction threads; stop() (or the destructor) lets a
// running or requested compaction finish, answers every waiter after a last sync, and joins both.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace idabus::emulator {

/// CRC-32 (IEEE 802.3, reflected): zlib's crc32 over `data`.
std::uint32_t crc32(std::string_view data) noexcept;

/// The fields of one record: a braced list at a call (`{a, b}`) or a span of views.
/// Borrowed: valid for the call it is passed to.
class log_fields {
 public:
  log_fields(std::initializer_list<std::string_view> list) noexcept : items_(list.begin(), list.size()) {}
  log_fields(std::span<const std::string_view> items) noexcept : items_(items) {}
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::span<const std::string_view> items_;
};

class durable_log {
 public:
  using fields = log_fields;
  /// Receives one replayed record; the views live until it returns.
  using replay_fn = std::function<void(std::uint8_t type, std::span<const std::string_view> fields)>;
  /// A snapshot producer: calls `emit` once per live record.
  using emit_fn = std::function<void(std::uint8_t type, fields)>;
  using produce_fn = std::function<void(const emit_fn& emit)>;
  /// Called once the records it waited for are durable (nullptr) or could not be made so.
  using durable_fn = std::function<void(std::exception_ptr)>;

  struct load_result {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;              ///< intact bytes kept
    std::uint64_t torn_tail_bytes = 0;    ///< bytes of the incomplete last record, cut off
    std::uint64_t torn_tail_offset = 0;   ///< where that record started
  };

  /// A live state to compact to: the log position it reflects and the records that rebuild it.
  struct snapshot {
    std::uint64_t mark = 0;  ///< mark() taken while the state was captured (writers blocked)
    produce_fn produce;      ///< called on the compaction thread with no lock held
  };

  struct background_hooks {
    /// On the commit thread after each group: should the log be compacted now?
    std::function<bool(std::uint64_t log_bytes)> compaction_due;
    /// On the compaction thread: block writers, take mark(), capture the state, unblock.
    std::function<snapshot()> take_snapshot;
  };

  /// Creates `directory` if needed; the log file is opened by load().
  explicit durable_log(std::filesystem::path directory);
  ~durable_log();
  durable_log(const durable_log&) = delete;
  durable_log& operator=(const durable_log&) = delete;

  /// Replays the log (creating an empty one if absent) and opens it for appending.
  load_result load(const replay_fn& apply);

  /// Starts the commit and compaction threads (after load()).
  void start(background_hooks hooks);
  /// Stops them (see the file comment); idempotent.
  void stop() noexcept;

  void append(std::uint8_t type, fields record_fields);

  /// Calls `done` once everything appended so far is durable (see the file comment).
  void when_durable(durable_fn done);

  /// Writes buffered records and fdatasyncs the file, on the calling thread.
  void flush();

  /// The position in the log up to which records have been appended (for snapshot::mark).
  std::uint64_t mark() const;

  /// Replaces the log by `s` plus the records appended after `s.mark` (one at a time).
  void compact(const snapshot& s);

  /// Replaces the log by the records `produce` emits; nothing may be appended meanwhile.
  void rewrite(const produce_fn& produce);

  /// Bytes in the file plus bytes still buffered.
  std::uint64_t size_bytes() const;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct waiter {
    std::uint64_t upto;  ///< durable once synced_ reaches it
    durable_fn done;
  };

  void write_locked(bool sync);  // file_mu_ held
  /// Asks the owner whether to compact (after a sync) and wakes the compaction thread if so.
  void consider_compaction(std::uint64_t log_bytes);
  void commit_loop();
  void compaction_loop();

  std::filesystem::path directory_;
  std::filesystem::path path_;
  int fd_ = -1;
  mutable std::mutex file_mu_;  ///< order: file_mu_ before buffer_mu_
  mutable std::mutex buffer_mu_;
  std::string buffer_;
  std::uint64_t appended_ = 0;        ///< records appended so far (buffer_mu_)
  std::uint64_t appended_bytes_ = 0;  ///< log position after them (buffer_mu_)
  std::uint64_t synced_ = 0;          ///< records made durable (buffer_mu_ to read or write)
  std::uint64_t file_bytes_ = 0;      ///< bytes in the file (file_mu_)
  std::vector<waiter> waiters_;       ///< buffer_mu_
  std::condition_variable commit_cv_;  ///< with buffer_mu_
  std::condition_variable compact_cv_;  ///< with buffer_mu_
  bool stopping_ = false;              ///< buffer_mu_
  bool compaction_wanted_ = false;     ///< buffer_mu_
  bool compacting_ = false;            ///< buffer_mu_
  background_hooks hooks_;
  std::thread committer_;
  std::thread compactor_;
};

}  // namespace idabus::emulator
