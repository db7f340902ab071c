#include "tools/cosmos-emulator/persistence.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace idabus::emulator {

namespace {

constexpr std::size_t auto_write_bytes = 8u << 20;
constexpr std::uint32_t max_record_bytes = 64u << 20;
constexpr std::size_t header_bytes = 8;

void put_u32(std::string& out, std::uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}

std::uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(u[0]) | static_cast<std::uint32_t>(u[1]) << 8 |
         static_cast<std::uint32_t>(u[2]) << 16 | static_cast<std::uint32_t>(u[3]) << 24;
}

// Appends one framed record to `out`; returns its size.
std::size_t frame(std::string& out, std::uint8_t type, durable_log::fields fs) {
  std::size_t payload = 1;
  for (auto f : fs) payload += 4 + f.size();
  const std::size_t start = out.size();
  put_u32(out, static_cast<std::uint32_t>(payload));
  put_u32(out, 0);  // CRC, patched below
  out += static_cast<char>(type);
  for (auto f : fs) {
    put_u32(out, static_cast<std::uint32_t>(f.size()));
    out.append(f);
  }
  const std::uint32_t crc = crc32(std::string_view(out).substr(start + header_bytes, payload));
  const char b[4] = {static_cast<char>(crc), static_cast<char>(crc >> 8), static_cast<char>(crc >> 16), static_cast<char>(crc >> 24)};
  out.replace(start + 4, 4, b, 4);
  return header_bytes + payload;
}

// Splits a payload's fields (after the type byte) into `views`; false when they overrun it.
bool split_fields(std::string_view payload, std::vector<std::string_view>& views) {
  views.clear();
  std::size_t i = 1;
  while (i < payload.size()) {
    if (payload.size() - i < 4) return false;
    const std::uint32_t flen = get_u32(payload.data() + i);
    i += 4;
    if (payload.size() - i < flen) return false;
    views.emplace_back(payload.data() + i, flen);
    i += flen;
  }
  return true;
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p) {
  throw std::runtime_error("cosmos-emulator data dir: cannot " + what + " " + p.string() + ": " + std::strerror(errno));
}

[[noreturn]] void damaged(const std::filesystem::path& p, std::uint64_t offset, const std::string& why) {
  throw std::runtime_error("cosmos-emulator data dir: " + p.string() + " is damaged at byte offset " +
                           std::to_string(offset) + " (" + why +
                           "); the file was left untouched: restore it from a copy or remove it to start empty");
}

void write_all(int fd, std::string_view data, const std::filesystem::path& p) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", p);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Appends bytes [from, to) of `in` to `out`.
void copy_range(int in, std::uint64_t from, std::uint64_t to, int out, const std::filesystem::path& in_path,
                const std::filesystem::path& out_path) {
  std::vector<char> block(1u << 20);
  while (from < to) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), to - from));
    const ssize_t n = ::pread(in, block.data(), want, static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("read", in_path);
    write_all(out, std::string_view(block.data(), static_cast<std::size_t>(n)), out_path);
    from += static_cast<std::uint64_t>(n);
  }
}

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail("open directory", dir);
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync directory", dir);
  }
  ::close(fd);
}

}  // namespace

std::uint32_t crc32(std::string_view data) noexcept {
  uLong c = ::crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed very large inputs in pieces.
  constexpr std::size_t piece = 1u << 30;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), piece);
    c = ::crc32(c, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(c);
}

durable_log::durable_log(std::filesystem::path directory)
    : directory_(std::move(directory)), path_(directory_ / "emulator.log") {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) throw std::runtime_error("cosmos-emulator data dir: cannot create " + directory_.string() + ": " + ec.message());
}

durable_log::~durable_log() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

durable_log::load_result durable_log::load(const replay_fn& apply) {
  std::lock_guard file_lock(file_mu_);
  load_result result;
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail("open", path_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) fail("seek", path_);
  const auto total = static_cast<std::uint64_t>(end);

  // Read in large blocks; records are parsed from `window` starting at `pos`.
  std::string window;
  std::uint64_t read_at = 0;   // file offset of the next block
  std::uint64_t consumed = 0;  // file offset of the record being parsed
  std::vector<std::string_view> views;
  std::vector<char> block(1u << 20);
  std::size_t pos = 0;
  auto need = [&](std::size_t n) {
    while (window.size() - pos < n && read_at < total) {
      const ssize_t r = ::pread(fd_, block.data(), block.size(), static_cast<off_t>(read_at));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) fail("read", path_);
      if (r == 0) break;
      if (pos > 0) {
        window.erase(0, pos);
        pos = 0;
      }
      window.append(block.data(), static_cast<std::size_t>(r));
      read_at += static_cast<std::uint64_t>(r);
    }
    return window.size() - pos >= n;
  };
  while (consumed < total) {
    if (!need(header_bytes)) break;  // torn: a short header at the end
    const std::uint32_t len = get_u32(window.data() + pos);
    const std::uint32_t crc = get_u32(window.data() + pos + 4);
    if (len == 0 || len > max_record_bytes) damaged(path_, consumed, "impossible record length " + std::to_string(len));
    if (!need(header_bytes + len)) break;  // torn: the record runs past the end of the file
    std::string_view payload(window.data() + pos + header_bytes, len);
    if (crc32(payload) != crc) damaged(path_, consumed, "CRC mismatch");
    if (!split_fields(payload, views)) damaged(path_, consumed, "fields overrun the record");
    apply(static_cast<std::uint8_t>(payload[0]), views);
    ++result.records;
    pos += header_bytes + len;
    consumed += header_bytes + len;
  }
  result.bytes = consumed;
  if (consumed < total) {
    result.torn_tail_offset = consumed;
    result.torn_tail_bytes = total - consumed;
    if (::ftruncate(fd_, static_cast<off_t>(consumed)) != 0) fail("truncate", path_);
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_);
  }
  file_bytes_ = consumed;
  std::lock_guard lock(buffer_mu_);
  appended_bytes_ = consumed + buffer_.size();
  return result;
}

void durable_log::start(background_hooks hooks) {
  std::lock_guard lock(buffer_mu_);
  if (committer_.joinable()) throw std::logic_error("durable_log::start called twice");
  hooks_ = std::move(hooks);
  stopping_ = false;
  committer_ = std::thread([this] { commit_loop(); });
  compactor_ = std::thread([this] { compaction_loop(); });
}

void durable_log::stop() noexcept {
  {
    std::lock_guard lock(buffer_mu_);
    if (!committer_.joinable()) return;
    stopping_ = true;
  }
  commit_cv_.notify_all();
  compact_cv_.notify_all();
  compactor_.join();
  committer_.join();
}

void durable_log::append(std::uint8_t type, fields record_fields) {
  bool write_now = false;
  {
    std::lock_guard lock(buffer_mu_);
    appended_bytes_ += frame(buffer_, type, record_fields);
    ++appended_;
    if (buffer_.size() > auto_write_bytes) {
      if (committer_.joinable() && !stopping_) {
        commit_cv_.notify_one();
      } else {
        write_now = true;
      }
    }
  }
  if (write_now) {
    std::lock_guard file_lock(file_mu_);
    write_locked(false);
  }
}

void durable_log::write_locked(bool sync) {
  std::string pending;
  std::uint64_t upto = 0;
  {
    std::lock_guard lock(buffer_mu_);
    pending.swap(buffer_);
    upto = appended_;
  }
  if (fd_ < 0) throw std::runtime_error("cosmos-emulator data dir: log " + path_.string() + " is not open (load() first)");
  if (!pending.empty()) {
    write_all(fd_, pending, path_);
    file_bytes_ += pending.size();
  }
  if (sync) {
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_);
    std::lock_guard lock(buffer_mu_);
    synced_ = std::max(synced_, upto);
  }
}

void durable_log::flush() {
  std::uint64_t target = 0;
  {
    std::lock_guard lock(buffer_mu_);
    target = appended_;
  }
  std::uint64_t log_bytes = 0;
  {
    std::lock_guard file_lock(file_mu_);
    {
      std::lock_guard lock(buffer_mu_);
      if (synced_ >= target) return;  // another sync already covered these records
    }
    write_locked(true);
    log_bytes = file_bytes_;
  }
  consider_compaction(log_bytes);
}

void durable_log::when_durable(durable_fn done) {
  bool sync_here = false;
  {
    std::lock_guard lock(buffer_mu_);
    if (synced_ < appended_) {
      if (committer_.joinable() && !stopping_) {
        waiters_.push_back(waiter{appended_, std::move(done)});
        commit_cv_.notify_one();
        return;
      }
      sync_here = true;
    }
  }
  std::exception_ptr error;
  if (sync_here) {
    try {
      flush();
    } catch (...) {
      error = std::current_exception();
    }
  }
  done(error);
}

void durable_log::commit_loop() {
  for (;;) {
    {
      std::unique_lock lock(buffer_mu_);
      commit_cv_.wait(lock, [&] { return stopping_ || !waiters_.empty() || buffer_.size() > auto_write_bytes; });
      if (stopping_ && waiters_.empty()) return;
    }
    std::exception_ptr error;
    try {
      std::lock_guard file_lock(file_mu_);
      write_locked(true);
    } catch (...) {
      error = std::current_exception();
    }
    std::vector<waiter> ready;
    std::uint64_t log_bytes = 0;
    {
      std::lock_guard lock(buffer_mu_);
      auto still_waiting = [&](const waiter& w) { return !error && w.upto > synced_; };
      auto split = std::partition(waiters_.begin(), waiters_.end(), still_waiting);
      ready.assign(std::make_move_iterator(split), std::make_move_iterator(waiters_.end()));
      waiters_.erase(split, waiters_.end());
      log_bytes = appended_bytes_;
    }
    for (auto& w : ready) w.done(error);
    if (!error) consider_compaction(log_bytes);
  }
}

void durable_log::consider_compaction(std::uint64_t log_bytes) {
  if (!hooks_.compaction_due || !hooks_.compaction_due(log_bytes)) return;
  std::lock_guard lock(buffer_mu_);
  if (!compacting_ && compactor_.joinable()) {
    compaction_wanted_ = true;
    compact_cv_.notify_one();
  }
}

void durable_log::compaction_loop() {
  for (;;) {
    {
      std::unique_lock lock(buffer_mu_);
      compact_cv_.wait(lock, [&] { return stopping_ || compaction_wanted_; });
      if (!compaction_wanted_) return;  // stopping; a compaction asked for still runs first
      compaction_wanted_ = false;
      compacting_ = true;
    }
    bool again = false;
    try {
      compact(hooks_.take_snapshot());
      // Writes went on meanwhile (and requests were dropped while compacting_): ask once more.
      again = hooks_.compaction_due(size_bytes());
    } catch (const std::exception& e) {
      // The old log stays whole and in use; a later sync asks again.
      std::cerr << "cosmos-emulator: compaction of " << path_.string() << " failed, the log is kept: " << e.what() << "\n";
    }
    std::lock_guard lock(buffer_mu_);
    compacting_ = false;
    compaction_wanted_ = compaction_wanted_ || again;
  }
}

std::uint64_t durable_log::mark() const {
  std::lock_guard lock(buffer_mu_);
  return appended_bytes_;
}

void durable_log::compact(const snapshot& s) {
  const auto tmp = directory_ / "emulator.log.tmp";
  // Opened for appending: once renamed it is the log (no reopen that could fail).
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", tmp);
  bool renamed = false;
  try {
    std::uint64_t written = 0;
    std::string out;
    s.produce([&](std::uint8_t type, fields fs) {
      frame(out, type, fs);
      if (out.size() > auto_write_bytes) {
        write_all(fd, out, tmp);
        written += out.size();
        out.clear();
      }
    });
    write_all(fd, out, tmp);
    written += out.size();
    // Finish with the file held: the old log gets every buffered record, then its part after the
    // snapshot's mark follows the snapshot in the new log.
    std::lock_guard file_lock(file_mu_);
    write_locked(false);
    if (s.mark > file_bytes_) throw std::logic_error("durable_log::compact: the mark is past the end of the log");
    copy_range(fd_, s.mark, file_bytes_, fd, path_, tmp);
    written += file_bytes_ - s.mark;
    if (::fsync(fd) != 0) fail("fsync", tmp);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("rename over", path_);
    renamed = true;
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    file_bytes_ = written;
    {
      std::lock_guard lock(buffer_mu_);
      appended_bytes_ = file_bytes_ + buffer_.size();
    }
    sync_directory(directory_);
  } catch (...) {
    if (!renamed) {
      ::close(fd);
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
    }
    throw;
  }
}

void durable_log::rewrite(const produce_fn& produce) { compact(snapshot{mark(), produce}); }

std::uint64_t durable_log::size_bytes() const {
  std::lock_guard lock(buffer_mu_);
  return appended_bytes_;
}

}  // namespace idabus::emulator
