#include "io/files/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace idabus::io::files {

namespace {

[[noreturn]] void fail(std::string_view operation, const std::filesystem::path& path, int error) {
  throw file_error(std::string(operation) + " " + path.string() + ": " + std::strerror(error));
}

std::filesystem::path temporary_name_for(const std::filesystem::path& path) {
  static std::atomic<std::uint64_t> counter{0};
  auto name = path.filename().string();
  name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  return path.parent_path() / name;
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool set_direct(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT)) == 0;
}

// The aligned bounce buffer of this thread (the file thread's, in a pipeline): O_DIRECT reads
// the memory it is given by DMA, so it must be block-aligned, which a std::string is not.
char* bounce_buffer() {
  struct aligned_free {
    void operator()(char* p) const noexcept { std::free(p); }
  };
  thread_local std::unique_ptr<char, aligned_free> buffer(
      static_cast<char*>(std::aligned_alloc(direct_io_block, direct_io_bounce_bytes)));
  return buffer.get();
}

// Writes the whole blocks of `bytes` with O_DIRECT and returns what is left (the tail, shorter
// than a block, or everything from where the file system refused direct I/O). Leaves O_DIRECT off.
std::string_view write_blocks_direct(int fd, std::string_view bytes, const std::filesystem::path& path) {
  char* bounce = bounce_buffer();
  if (bounce == nullptr || !set_direct(fd, true)) return bytes;  // e.g. tmpfs: no O_DIRECT
  while (bytes.size() >= direct_io_block) {
    const auto n = std::min(bytes.size() / direct_io_block * direct_io_block, direct_io_bounce_bytes);
    std::memcpy(bounce, bytes.data(), n);
    const auto written = ::write(fd, bounce, n);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && errno == EINVAL) break;  // alignment the device refuses: the page cache then
    if (written < 0) {
      const int error = errno;
      set_direct(fd, false);
      fail("write", path, error);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
    // A short write leaves the offset unaligned: the rest goes through the page cache.
    if (static_cast<std::size_t>(written) % direct_io_block != 0) break;
  }
  if (!set_direct(fd, false)) fail("fcntl O_DIRECT off", path, errno);
  return bytes;
}

}  // namespace

atomic_file_writer::atomic_file_writer(std::filesystem::path path)
    : path_(std::move(path)), temp_path_(temporary_name_for(path_)) {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("create", temp_path_, errno);
}

atomic_file_writer::~atomic_file_writer() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void atomic_file_writer::write(std::string_view bytes, file_cache cache) {
  if (fd_ < 0) throw std::logic_error("atomic_file_writer: write after commit() " + path_.string());
  const auto size = bytes.size();
  if (cache == file_cache::skip && size >= direct_io_min_bytes && bytes_written_ % direct_io_block == 0) {
    bytes = write_blocks_direct(fd_, bytes, temp_path_);
  }
  write_all(fd_, bytes, temp_path_);
  bytes_written_ += size;
}

void atomic_file_writer::commit() {
  if (fd_ < 0) throw std::logic_error("atomic_file_writer: commit() twice " + path_.string());
  if (::fsync(fd_) != 0) fail("fsync", temp_path_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close", temp_path_, errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("rename to", path_, errno);
  committed_ = true;
  auto dir = path_.parent_path();
  fsync_directory(dir.empty() ? std::filesystem::path(".") : dir);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, file_cache cache) {
  atomic_file_writer file(path);
  file.write(bytes, cache);
  file.commit();
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail("fsync directory", dir, error);
}

read_only_file::read_only_file(const std::filesystem::path& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer (it is refused just below); it
  // changes nothing for a regular file.
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) fail("open", path_, errno);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int error = errno;
    ::close(std::exchange(fd_, -1));
    fail("stat", path_, error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(std::exchange(fd_, -1));
    throw file_error("read " + path_.string() + ": not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

read_only_file::~read_only_file() {
  if (fd_ >= 0) ::close(fd_);
}

read_only_file::read_only_file(read_only_file&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

read_only_file& read_only_file::operator=(read_only_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

std::size_t read_only_file::read_some(char* out, std::size_t n) {
  for (;;) {
    const auto got = ::read(fd_, out, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) fail("read", path_, errno);
  }
}

std::string read_file(const std::filesystem::path& path) {
  read_only_file file(path);
  std::string out;
  out.resize(static_cast<std::size_t>(file.size()));
  std::size_t done = 0;
  std::array<char, 4096> probe;  // end of file is seen here: growing `out` would copy it whole
  while (true) {
    const bool full = done == out.size();
    const auto n = full ? file.read_some(probe.data(), probe.size()) : file.read_some(out.data() + done, out.size() - done);
    if (n == 0) break;
    if (full) out.append(probe.data(), n);  // the file grew meanwhile
    done += n;
  }
  out.resize(done);
  return out;
}

bool is_temporary_name(std::string_view name) { return name.find(".tmp-") != std::string_view::npos; }

}  // namespace idabus::io::files
