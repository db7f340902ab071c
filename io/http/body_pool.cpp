#include "io/http/body_pool.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace idabus::io::http {

namespace {

constexpr std::size_t huge_page_bytes = 2u << 20;

/// Uninitialized storage of at least `bytes` (see body_pool.hpp: large ones are whole huge pages).
std::pair<detail::body_bytes, std::size_t> allocate(std::size_t bytes) {
  if (bytes < huge_page_bytes / 2) {
    auto* p = static_cast<char*>(std::malloc(bytes));
    if (!p) throw std::bad_alloc();
    return {detail::body_bytes(p), bytes};
  }
  const std::size_t rounded = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  auto* p = static_cast<char*>(std::aligned_alloc(huge_page_bytes, rounded));
  if (!p) throw std::bad_alloc();
  ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without THP the storage is ordinary pages
  return {detail::body_bytes(p), rounded};
}

}  // namespace

void detail::free_bytes::operator()(char* bytes) const noexcept { std::free(bytes); }

body_buffer body_buffer::copy_of(std::string_view bytes) {
  body_buffer b;
  b.append(bytes.data(), bytes.size());
  return b;
}

body_buffer::body_buffer(const body_buffer& other) : body_buffer(copy_of(other.view())) {}

body_buffer& body_buffer::operator=(const body_buffer& other) {
  if (this != &other) *this = copy_of(other.view());
  return *this;
}

body_buffer::body_buffer(body_buffer&& other) noexcept
    : bytes_(std::move(other.bytes_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)),
      home_(std::move(other.home_)) {}

body_buffer& body_buffer::operator=(body_buffer&& other) noexcept {
  if (this != &other) {
    body_buffer old(std::move(*this));
    bytes_ = std::move(other.bytes_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    home_ = std::move(other.home_);
  }
  return *this;
}

body_buffer::~body_buffer() {
  if (home_ && bytes_) home_->give_back(std::move(bytes_), capacity_);
}

void body_buffer::reserve(std::size_t bytes) {
  const std::size_t needed = bytes + response_body_slack;
  if (needed <= capacity_) return;
  auto [grown, capacity] = allocate(needed);
  if (size_ > 0) std::memcpy(grown.get(), bytes_.get(), size_);
  bytes_ = std::move(grown);
  capacity_ = capacity;
}

void body_buffer::append(const char* bytes, std::size_t n) {
  if (n == 0) return;
  // Geometric growth: a body of unknown length (chunked) grows as it arrives.
  if (size_ + n + response_body_slack > capacity_) reserve(std::max(size_ + n, 2 * size_));
  std::memcpy(bytes_.get() + size_, bytes, n);
  size_ += n;
}

std::shared_ptr<body_pool> body_pool::create(std::size_t max_idle) {
  std::shared_ptr<body_pool> pool(new body_pool(max_idle));
  pool->idle_.reserve(max_idle);  // give_back() never allocates
  return pool;
}

body_buffer body_pool::take(std::size_t bytes) {
  const std::size_t needed = bytes + response_body_slack;
  body_buffer b;
  {
    std::lock_guard lock(mutex_);
    ++stats_.taken;
    if (!idle_.empty()) {
      // The smallest that is large enough (of equals, the most recently returned), else the
      // largest (enlarged below).
      auto it = idle_.end();
      for (auto i = idle_.begin(); i != idle_.end(); ++i) {
        if (i->capacity >= needed && (it == idle_.end() || i->capacity <= it->capacity)) it = i;
      }
      if (it == idle_.end()) {
        it = std::max_element(idle_.begin(), idle_.end(),
                              [](const storage& a, const storage& b) { return a.capacity < b.capacity; });
      }
      b.bytes_ = std::move(it->bytes);
      b.capacity_ = it->capacity;
      idle_.erase(it);
    }
    if (b.capacity_ < needed) ++stats_.allocated;
  }
  if (b.capacity_ < needed) {
    b.bytes_.reset();  // free the small one before allocating the large one
    b.capacity_ = 0;
    b.reserve(bytes);
  }
  b.home_ = shared_from_this();
  return b;
}

std::size_t body_pool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

body_pool_stats body_pool::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void body_pool::give_back(detail::body_bytes bytes, std::size_t capacity) noexcept {
  std::lock_guard lock(mutex_);
  if (idle_.size() >= max_idle_) {
    ++stats_.dropped;
    return;  // `bytes` is freed on return, under the lock: a free is short
  }
  idle_.push_back(storage{std::move(bytes), capacity});
  ++stats_.returned;
}

}  // namespace idabus::io::http
