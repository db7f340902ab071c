#pragma once
// byte_budget: one bound on the bytes that several pipelines hold at once (an asynchronous
// counting semaphore over bytes), e.g. the raw chunks of every collection of a backup.
//
// - co_await acquire(n) returns a byte_lease of n bytes once they fit (in_use() + n <=
//   capacity()). Waiters are served strictly in arrival order, so a large request is never
//   overtaken by later small ones and cannot starve. A request for more than the whole capacity
//   is granted once nothing else is held, and is then the only lease. acquire(0) completes at
//   once with an empty lease.
// - A byte_lease gives its bytes back when it is destroyed or release()d (moving it moves the
//   bytes); the waiters that then fit resume, each on its own coroutine's executor. split(n)
//   moves n of its bytes into a new lease, so one grant can be given back in parts (e.g. a parsed
//   piece whose parts several readers take at different times).
// - in_use(), peak() (the most bytes held at once since construction), waiting().
// - Cancellation: a waiting acquire reacts to its cancellation slot (any type) by throwing
//   system_error(operation_aborted). It held nothing and takes nothing, and the waiters behind it
//   are checked again (it may have been the request they queued behind). A grant that races the
//   cancellation wins: the lease is delivered; should the coroutine be destroyed before it
//   resumes, the lease is destroyed with the completion and its bytes come back.
// - Liveness is the user's part: an acquirer must never wait for bytes that only its own progress
//   can give back. A pipeline stays live when an acquirer holds no lease while it waits and every
//   lease is released by stages downstream of it (a batcher acquires for the chunk it starts, holds
//   none while it waits, and the writer releases the chunk once it is on disk).
// - Thread-safe. The budget must outlive every lease and every operation on it.

#include "pipeline/detail/suspended_op.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>

namespace idabus::pipeline {

namespace net = boost::asio;

class byte_budget;

/// Bytes held from a byte_budget; move-only, given back on destruction or release().
class byte_lease {
 public:
  byte_lease() = default;
  byte_lease(byte_lease&& other) noexcept;
  byte_lease& operator=(byte_lease&& other) noexcept;
  byte_lease(const byte_lease&) = delete;
  byte_lease& operator=(const byte_lease&) = delete;
  ~byte_lease() { release(); }

  std::size_t bytes() const noexcept { return bytes_; }

  /// Gives the bytes back now (no-op for an empty lease).
  void release() noexcept;

  /// Moves min(n, bytes()) of this lease's bytes into the lease returned (of the same budget);
  /// nothing is given back or taken from the budget.
  byte_lease split(std::size_t n) noexcept;

 private:
  friend class byte_budget;
  byte_lease(byte_budget* budget, std::size_t bytes) noexcept : budget_(budget), bytes_(bytes) {}

  byte_budget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

class byte_budget {
 public:
  /// Throws std::invalid_argument when capacity is 0.
  explicit byte_budget(std::size_t capacity);
  byte_budget(const byte_budget&) = delete;
  byte_budget& operator=(const byte_budget&) = delete;

  /// Waits until `bytes` fit; see the file comment.
  net::awaitable<byte_lease> acquire(std::size_t bytes);

  /// Takes `bytes` without waiting: nothing when they do not fit or others are waiting.
  std::optional<byte_lease> try_acquire(std::size_t bytes);

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t in_use() const;
  std::size_t peak() const;
  std::size_t waiting() const;

 private:
  friend class byte_lease;
  using acquire_op = detail::suspended_op<byte_lease>;
  struct waiter {
    acquire_op op;
    std::size_t bytes;
  };
  struct acquire_initiation;
  struct cancel_handler;

  // With the lock held.
  bool can_grant(std::size_t bytes) const noexcept;
  byte_lease grant(std::size_t bytes) noexcept;
  void grant_waiters();

  void give_back(std::size_t bytes) noexcept;
  void cancel_waiter(std::uint64_t id);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
  std::uint64_t next_id_ = 1;
  std::list<waiter> waiters_;
};

}  // namespace idabus::pipeline
