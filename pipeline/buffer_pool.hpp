#pragma once
// buffer_pool: a bounded free list of byte buffers (std::string), so that a pipeline that fills
// and drops large buffers at a steady rate (a backup's raw chunks) reuses memory that is already
// paged in instead of taking fresh memory from the allocator for each one (fresh memory costs a
// page fault per 4 KiB on first touch; glibc hands large blocks back to the kernel and faults
// them in again).
//
// - take(capacity) returns an empty buffer with capacity() >= capacity: the most recently given
//   back buffer when there is one (grown when too small), else a new one. Buffers move in and
//   out by value: a taken buffer belongs to the caller alone and the pool keeps no reference to
//   it, so a buffer still in use is never handed out again.
// - give(buffer) empties the buffer and keeps it for the next take, unless the pool already
//   keeps max_free() buffers: then the buffer is freed. So the pool never holds more than
//   max_free() buffers; the buffers taken and not given back are bounded by whoever takes them
//   (the backup: by its chunk budget).
// - Thread-safe: take and give may run on any threads.

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace idabus::pipeline {

class buffer_pool {
 public:
  /// Throws std::invalid_argument when max_free is 0.
  explicit buffer_pool(std::size_t max_free);
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  std::string take(std::size_t capacity);
  void give(std::string buffer);

  std::size_t max_free() const noexcept { return max_free_; }
  /// Buffers kept for reuse now.
  std::size_t free_buffers() const;

 private:
  const std::size_t max_free_;
  mutable std::mutex mutex_;
  std::vector<std::string> free_;
};

}  // namespace idabus::pipeline
