#pragma once
// body_pool: recycled storage for HTTP response bodies, so that reading page after page of a
// query neither allocates nor touches fresh memory once the pool is warm.
//
// - body_buffer: the bytes of one body, [data(), data() + size()), with at least
//   response_body_slack bytes of spare capacity past them (a parser that reads a little past the
//   end of its input, simdjson, can use the body where it lies). A copy is a copy of the bytes in
//   storage of its own (of no pool), so that messages holding one stay copyable. Growing it never
//   initializes the new bytes: they are written by whoever grows it (append(), or a read into
//   spare() followed by commit()).
// - A buffer taken from a pool goes back to it when destroyed, from whichever thread destroys it
//   (wrap it in a shared_ptr to share it: the last reference returns it). Its capacity is kept.
// - body_pool keeps at most max_idle buffers; a buffer returned while that many are idle is freed.
//   take() hands out the smallest idle buffer that is large enough (the most recently returned
//   of those), else the largest idle one enlarged, else a new one.
// - Storage of 1 MiB or more is whole 2 MiB pages, aligned to 2 MiB and marked for transparent
//   huge pages (madvise): a page body (1.4-4 MB) is then 1-3 TLB entries and as many page faults
//   instead of ~1,000 each (bench_backup: CPU-s and faults, README "Backup set format and
//   pipeline"), and capacities fall into a few sizes, so recycled buffers fit the next page.
// - Thread-safety: body_pool is safe to use from any thread; a body_buffer is a value (one owner).
// - Lifetime: every buffer from a pool shares ownership of the pool, so buffers may outlive the
//   code that created the pool.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::io::http {

/// Spare capacity every response body has past its last byte (see the file comment).
inline constexpr std::size_t response_body_slack = 64;

class body_pool;

namespace detail {
struct free_bytes {
  void operator()(char* bytes) const noexcept;
};
using body_bytes = std::unique_ptr<char, free_bytes>;
}  // namespace detail

class body_buffer {
 public:
  body_buffer() noexcept = default;
  /// A buffer (of no pool) holding a copy of `bytes`.
  static body_buffer copy_of(std::string_view bytes);

  body_buffer(const body_buffer& other);
  body_buffer& operator=(const body_buffer& other);
  body_buffer(body_buffer&& other) noexcept;
  body_buffer& operator=(body_buffer&& other) noexcept;
  ~body_buffer();

  const char* data() const noexcept { return bytes_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Bytes allocated: >= size() + response_body_slack once anything was reserved or appended.
  std::size_t capacity() const noexcept { return capacity_; }
  std::string_view view() const noexcept { return {bytes_.get(), size_}; }

  /// Makes capacity() >= bytes + response_body_slack, keeping the content.
  void reserve(std::size_t bytes);
  void append(const char* bytes, std::size_t n);
  /// Writable room past size(): capacity() - size() - response_body_slack bytes at spare().
  char* spare() noexcept { return bytes_.get() + size_; }
  std::size_t spare_size() const noexcept { return capacity_ - size_ - response_body_slack; }
  /// Counts `n` bytes written at spare() as content (n <= spare_size()).
  void commit(std::size_t n) noexcept { size_ += n; }

 private:
  friend class body_pool;

  detail::body_bytes bytes_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::shared_ptr<body_pool> home_;  ///< where the storage goes back, if anywhere
};

/// Counters since construction, for tests and diagnostics.
struct body_pool_stats {
  std::uint64_t taken = 0;      ///< take() calls
  std::uint64_t allocated = 0;  ///< storage allocations: new buffers and enlarged ones
  std::uint64_t returned = 0;   ///< buffers given back and kept idle
  std::uint64_t dropped = 0;    ///< buffers given back while max_idle were idle (freed)
};

class body_pool : public std::enable_shared_from_this<body_pool> {
 public:
  /// A pool that keeps at most `max_idle` buffers (0: recycles nothing).
  static std::shared_ptr<body_pool> create(std::size_t max_idle);

  /// An empty buffer with capacity() >= bytes + response_body_slack that returns to this pool
  /// when destroyed.
  body_buffer take(std::size_t bytes);

  std::size_t max_idle() const noexcept { return max_idle_; }
  std::size_t idle() const;
  body_pool_stats stats() const;

 private:
  struct storage {
    detail::body_bytes bytes;
    std::size_t capacity = 0;
  };
  friend class body_buffer;

  explicit body_pool(std::size_t max_idle) : max_idle_(max_idle) {}
  void give_back(detail::body_bytes bytes, std::size_t capacity) noexcept;

  const std::size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<storage> idle_;  ///< most recently returned last
  body_pool_stats stats_;
};

}  // namespace idabus::io::http
