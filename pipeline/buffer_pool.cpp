#include "pipeline/buffer_pool.hpp"

#include <stdexcept>
#include <utility>

namespace idabus::pipeline {

buffer_pool::buffer_pool(std::size_t max_free) : max_free_(max_free) {
  if (max_free == 0) throw std::invalid_argument("buffer_pool: max_free must be at least 1");
  free_.reserve(max_free);
}

std::string buffer_pool::take(std::size_t capacity) {
  std::string buffer;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      buffer = std::move(free_.back());
      free_.pop_back();
    }
  }
  buffer.reserve(capacity);
  return buffer;
}

void buffer_pool::give(std::string buffer) {
  buffer.clear();
  std::lock_guard lock(mutex_);
  if (free_.size() < max_free_) free_.push_back(std::move(buffer));
}

std::size_t buffer_pool::free_buffers() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace idabus::pipeline
