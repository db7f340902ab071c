#include "pipeline/byte_budget.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace idabus::pipeline {

byte_lease::byte_lease(byte_lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

byte_lease& byte_lease::operator=(byte_lease&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void byte_lease::release() noexcept {
  // Empty (default or moved-from) leases never touch the budget: the budget builds and moves
  // leases while it holds its own lock.
  if (budget_ == nullptr || bytes_ == 0) return;
  std::exchange(budget_, nullptr)->give_back(std::exchange(bytes_, 0));
}

byte_lease byte_lease::split(std::size_t n) noexcept {
  n = std::min(n, bytes_);
  if (n == 0) return {};
  bytes_ -= n;
  return byte_lease(budget_, n);
}

byte_budget::byte_budget(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("byte_budget: capacity must be at least 1");
}

struct byte_budget::cancel_handler {
  byte_budget* self;
  std::uint64_t id;
  void operator()(net::cancellation_type_t) const { self->cancel_waiter(id); }
};

struct byte_budget::acquire_initiation {
  byte_budget* self;
  std::size_t bytes;
  template <class Handler>
  void operator()(Handler&& handler) const {
    std::lock_guard lock(self->mutex_);
    acquire_op op(self->next_id_++, std::forward<Handler>(handler));
    // Changed since the try: re-check. Only the head of the queue may be granted.
    if (self->waiters_.empty() && self->can_grant(bytes)) return op.complete({}, self->grant(bytes));
    auto slot = op.slot();
    auto id = op.id();
    self->waiters_.push_back(waiter{std::move(op), bytes});
    if (slot.is_connected()) slot.template emplace<cancel_handler>(cancel_handler{self, id});
  }
};

net::awaitable<byte_lease> byte_budget::acquire(std::size_t bytes) {
  if (auto lease = try_acquire(bytes)) co_return std::move(*lease);
  // Named first: GCC 12 miscompiles braced temporaries inside a co_await operand.
  acquire_initiation init{this, bytes};
  auto wait = net::async_initiate<const net::use_awaitable_t<>&, void(boost::system::error_code, byte_lease)>(
      init, net::use_awaitable);
  co_return co_await std::move(wait);
}

std::optional<byte_lease> byte_budget::try_acquire(std::size_t bytes) {
  if (bytes == 0) return byte_lease();
  std::lock_guard lock(mutex_);
  if (!waiters_.empty() || !can_grant(bytes)) return std::nullopt;
  return grant(bytes);
}

std::size_t byte_budget::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

std::size_t byte_budget::peak() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

std::size_t byte_budget::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

bool byte_budget::can_grant(std::size_t bytes) const noexcept {
  if (bytes > capacity_) return in_use_ == 0;  // alone, or never
  return in_use_ + bytes <= capacity_;
}

byte_lease byte_budget::grant(std::size_t bytes) noexcept {
  in_use_ += bytes;
  peak_ = std::max(peak_, in_use_);
  return byte_lease(this, bytes);
}

void byte_budget::grant_waiters() {
  while (!waiters_.empty() && can_grant(waiters_.front().bytes)) {
    auto& front = waiters_.front();
    front.op.complete({}, grant(front.bytes));
    waiters_.pop_front();
  }
}

void byte_budget::give_back(std::size_t bytes) noexcept {
  std::lock_guard lock(mutex_);
  in_use_ -= bytes;
  grant_waiters();
}

void byte_budget::cancel_waiter(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->op.id() == id) {
      it->op.complete(net::error::operation_aborted, byte_lease());
      waiters_.erase(it);
      grant_waiters();  // it may have been the head the others queued behind
      return;
    }
  }
}

}  // namespace idabus::pipeline
