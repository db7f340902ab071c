#include "tools/cosmos-emulator/persistence.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace idabus::emulator {

namespace {

constexpr std::size_t auto_write_bytes = 8u << 20;
constexpr std::uint32_t max_record_bytes = 64u << 20;

const std::array<std::uint32_t, 256>& crc_table() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void put_u32(std::string& out, std::uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}

std::uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(u[0]) | static_cast<std::uint32_t>(u[1]) << 8 |
         static_cast<std::uint32_t>(u[2]) << 16 | static_cast<std::uint32_t>(u[3]) << 24;
}

// Appends one framed record to `out`.
void frame(std::string& out, std::uint8_t type, durable_log::fields fs) {
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
  const std::uint32_t crc = crc32(std::string_view(out).substr(start + 8, payload));
  const char b[4] = {static_cast<char>(crc), static_cast<char>(crc >> 8), static_cast<char>(crc >> 16), static_cast<char>(crc >> 24)};
  out.replace(start + 4, 4, b, 4);
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p) {
  throw std::runtime_error("cosmos-emulator data dir: cannot " + what + " " + p.string() + ": " + std::strerror(errno));
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
  const auto& t = crc_table();
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = t[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

durable_log::durable_log(std::filesystem::path directory)
    : directory_(std::move(directory)), path_(directory_ / "emulator.log") {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) throw std::runtime_error("cosmos-emulator data dir: cannot create " + directory_.string() + ": " + ec.message());
}

durable_log::~durable_log() {
  if (fd_ >= 0) ::close(fd_);
}

durable_log::load_result durable_log::load(const replay_fn& apply) {
  std::lock_guard file_lock(file_mu_);
  load_result result;
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("open", path_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) fail("seek", path_);
  if (::lseek(fd_, 0, SEEK_SET) < 0) fail("seek", path_);
  const auto total = static_cast<std::uint64_t>(end);

  // Read in large blocks; records are parsed from `window`.
  std::string window;
  std::uint64_t consumed = 0;  // bytes of intact records
  std::vector<std::string_view> views;
  std::vector<char> block(1u << 20);
  bool eof = false;
  std::size_t pos = 0;
  for (;;) {
    // Make sure the window holds a full header and payload, reading more if needed.
    auto need = [&](std::size_t n) {
      while (window.size() - pos < n && !eof) {
        const ssize_t r = ::read(fd_, block.data(), block.size());
        if (r < 0) {
          if (errno == EINTR) continue;
          fail("read", path_);
        }
        if (r == 0) {
          eof = true;
          break;
        }
        if (pos > 0) {
          window.erase(0, pos);
          pos = 0;
        }
        window.append(block.data(), static_cast<std::size_t>(r));
      }
      return window.size() - pos >= n;
    };
    if (!need(8)) break;
    const std::uint32_t len = get_u32(window.data() + pos);
    const std::uint32_t crc = get_u32(window.data() + pos + 4);
    if (len == 0 || len > max_record_bytes || !need(8 + static_cast<std::size_t>(len))) break;
    std::string_view payload(window.data() + pos + 8, len);
    if (crc32(payload) != crc) break;
    // Decode fields; a record whose fields overrun its payload is corrupt.
    views.clear();
    std::size_t i = 1;
    bool ok = true;
    while (i < payload.size()) {
      if (payload.size() - i < 4) { ok = false; break; }
      const std::uint32_t flen = get_u32(payload.data() + i);
      i += 4;
      if (payload.size() - i < flen) { ok = false; break; }
      views.emplace_back(payload.data() + i, flen);
      i += flen;
    }
    if (!ok) break;
    apply(static_cast<std::uint8_t>(payload[0]), views);
    ++result.records;
    pos += 8 + len;
    consumed += 8 + len;
  }
  result.bytes = consumed;
  result.dropped_bytes = total - consumed;
  if (result.dropped_bytes > 0) {
    if (::ftruncate(fd_, static_cast<off_t>(consumed)) != 0) fail("truncate", path_);
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_);
  }
  if (::lseek(fd_, static_cast<off_t>(consumed), SEEK_SET) < 0) fail("seek", path_);
  file_bytes_ = consumed;
  return result;
}

void durable_log::append(std::uint8_t type, fields record_fields) {
  bool too_big = false;
  {
    std::lock_guard lock(buffer_mu_);
    frame(buffer_, type, record_fields);
    ++appended_;
    too_big = buffer_.size() > auto_write_bytes;
  }
  if (too_big) {
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
    synced_ = upto;
  }
}

void durable_log::flush() {
  std::uint64_t target = 0;
  {
    std::lock_guard lock(buffer_mu_);
    target = appended_;
  }
  std::lock_guard file_lock(file_mu_);
  if (synced_ >= target) return;  // another flusher's sync already covered our records
  write_locked(true);
}

void durable_log::rewrite(const std::function<void(const emit_fn& emit)>& produce) {
  std::lock_guard file_lock(file_mu_);
  std::uint64_t upto = 0;
  {
    std::lock_guard lock(buffer_mu_);
    buffer_.clear();  // the snapshot supersedes everything buffered
    upto = appended_;
  }
  const auto tmp = directory_ / "emulator.log.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", tmp);
  std::uint64_t written = 0;
  std::string out;
  try {
    produce([&](std::uint8_t type, fields fs) {
      frame(out, type, fs);
      if (out.size() > auto_write_bytes) {
        write_all(fd, out, tmp);
        written += out.size();
        out.clear();
      }
    });
    write_all(fd, out, tmp);
    written += out.size();
    if (::fsync(fd) != 0) fail("fsync", tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("rename over", path_);
  sync_directory(directory_);
  const int nfd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (nfd < 0) fail("open", path_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = nfd;
  file_bytes_ = written;
  synced_ = upto;
}

std::uint64_t durable_log::size_bytes() const {
  std::lock_guard file_lock(file_mu_);
  std::lock_guard lock(buffer_mu_);
  return file_bytes_ + buffer_.size();
}

}  // namespace idabus::emulator
