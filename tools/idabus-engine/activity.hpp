#pragma once
// activity: counts operations in flight (writes, workflow steps) so that a backup phase can wait
// until none is left (DESIGN §6: drain in-flight writes; wait for running steps).
// enter() returns a guard that counts the operation until it is destroyed. drain() waits until the
// count is zero or the deadline passes. Runs on one executor (not thread-safe).
// Cancellation: drain() throws operation_aborted when its coroutine is cancelled.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>

namespace idabus::engine {

namespace net = boost::asio;

class activity_counter {
 public:
  explicit activity_counter(net::any_io_executor executor);

  class guard {
   public:
    explicit guard(activity_counter& owner) : owner_(&owner) { ++owner_->count_; }
    guard(guard&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    guard& operator=(guard&&) = delete;
    ~guard() { if (owner_) owner_->leave(); }

   private:
    activity_counter* owner_;
  };

  guard enter() { return guard(*this); }
  std::size_t in_flight() const noexcept { return count_; }

  /// True when the count reached zero before `deadline`; false when operations are still running.
  net::awaitable<bool> drain(std::chrono::steady_clock::time_point deadline);

 private:
  void leave();

  std::size_t count_ = 0;
  net::steady_timer idle_;
};

}  // namespace idabus::engine
