#pragma once
// reorder_buffer<T>: puts the results of N parallel workers back into input order.
//
// - Workers co_await put(sequenced<T>{seq, value}) in any order; one consumer co_awaits next()
//   and gets the values in sequence order (seq = first_seq, first_seq + 1, ...).
// - Bounded window: only sequence numbers in [next_seq, next_seq + window) are held. A put
//   beyond the window suspends until the consumer has advanced far enough; the buffer never
//   grows past `window` items. (A worker holding next_seq is never blocked, so a window >= 1
//   cannot deadlock as long as every sequence number is eventually put.)
// - End of stream is a message: each of the `producers` calls finish() once. After the last
//   one, next() delivers the remaining contiguous values, then std::nullopt. If a sequence
//   number is missing at that point (values pending behind a gap), next() throws
//   sequence_gap_error naming the missing number.
// - put() of an already delivered or duplicate sequence number throws std::logic_error.
// - cancel() is teardown: values are dropped; suspended and later put()/next() calls throw
//   system_error(operation_aborted). A suspended put or next also reacts to its own
//   cancellation slot the same way.
// - Thread-safe; suspended operations resume on their own coroutine's executor.

#include "pipeline/detail/suspended_op.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace idabus::pipeline {

namespace net = boost::asio;

template <class T>
struct sequenced {
  std::uint64_t seq = 0;
  T value;
};

/// The stream ended while a sequence number was still missing.
class sequence_gap_error : public std::runtime_error {
 public:
  sequence_gap_error(std::uint64_t missing, std::size_t pending)
      : std::runtime_error("reorder_buffer: end of stream while sequence " + std::to_string(missing) +
                           " is missing (" + std::to_string(pending) + " later items pending)"),
        missing_(missing) {}
  std::uint64_t missing() const noexcept { return missing_; }

 private:
  std::uint64_t missing_;
};

template <class T>
class reorder_buffer {
 public:
  explicit reorder_buffer(std::size_t window, std::size_t producers = 1, std::uint64_t first_seq = 0)
      : window_(window), producers_left_(producers), next_(first_seq), slots_(window) {
    if (window == 0) throw std::invalid_argument("reorder_buffer: window must be at least 1");
    if (producers == 0) throw std::invalid_argument("reorder_buffer: producers must be at least 1");
  }
  reorder_buffer(const reorder_buffer&) = delete;
  reorder_buffer& operator=(const reorder_buffer&) = delete;

  /// Stores one value; suspends while its sequence number is beyond the window.
  net::awaitable<void> put(sequenced<T> item) {
    for (;;) {
      if (try_put(item)) co_return;
      wait_initiation init{this, waiter_kind::put, item.seq};
      auto wait = net::async_initiate<const net::use_awaitable_t<>&, void(boost::system::error_code)>(
          init, net::use_awaitable);
      co_await std::move(wait);
    }
  }

  /// The next value in sequence order, std::nullopt at end of stream.
  net::awaitable<std::optional<T>> next() {
    for (;;) {
      std::optional<T> out;
      if (try_next(out)) co_return out;
      wait_initiation init{this, waiter_kind::next, 0};
      auto wait = net::async_initiate<const net::use_awaitable_t<>&, void(boost::system::error_code)>(
          init, net::use_awaitable);
      co_await std::move(wait);
    }
  }

  /// Stores without suspending: false when the sequence number is beyond the window.
  bool try_put(sequenced<T>& item) {
    std::lock_guard lock(mutex_);
    if (cancelled_) throw_aborted();
    if (producers_left_ == 0) throw std::logic_error("reorder_buffer: put after the stream was finished");
    if (item.seq < next_) {
      throw std::logic_error("reorder_buffer: sequence " + std::to_string(item.seq) + " was already delivered");
    }
    if (item.seq - next_ >= window_) return false;
    auto& slot = slots_[item.seq % window_];
    if (slot) throw std::logic_error("reorder_buffer: sequence " + std::to_string(item.seq) + " was put twice");
    slot.emplace(std::move(item.value));
    ++stored_;
    if (item.seq == next_) wake(waiter_kind::next);
    return true;
  }

  /// Takes without suspending: true when `out` was set (a value, or std::nullopt at the end).
  bool try_next(std::optional<T>& out) {
    std::lock_guard lock(mutex_);
    if (cancelled_) throw_aborted();
    auto& slot = slots_[next_ % window_];
    if (slot) {
      out.emplace(std::move(*slot));
      slot.reset();
      --stored_;
      ++next_;
      wake(waiter_kind::put);  // the window moved by one
      return true;
    }
    if (producers_left_ == 0) {
      if (stored_ > 0 || !puts_.empty()) throw sequence_gap_error(next_, stored_ + puts_.size());
      out.reset();
      return true;
    }
    return false;
  }

  /// One producer is done; after the last call the stream ends (see above).
  void finish() {
    std::lock_guard lock(mutex_);
    if (producers_left_ == 0) return;
    if (--producers_left_ == 0) wake(waiter_kind::next);
  }

  /// Teardown: drops values and aborts every suspended operation.
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (auto& s : slots_) s.reset();
    stored_ = 0;
    for (auto& w : puts_) w.op.complete(net::error::operation_aborted);
    puts_.clear();
    for (auto& w : nexts_) w.op.complete(net::error::operation_aborted);
    nexts_.clear();
  }

  /// The sequence number next() delivers next.
  std::uint64_t next_seq() const {
    std::lock_guard lock(mutex_);
    return next_;
  }

  /// Values held in the window right now.
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return stored_;
  }

  std::size_t window() const noexcept { return window_; }

 private:
  enum class waiter_kind { put, next };
  struct waiter {
    detail::suspended_op<> op;
    std::uint64_t seq;
  };

  [[noreturn]] static void throw_aborted() {
    throw boost::system::system_error(net::error::operation_aborted, "reorder_buffer cancelled");
  }

  // With the lock held: can the waiter make progress now?
  bool ready(waiter_kind kind, std::uint64_t seq) const {
    if (cancelled_) return true;
    if (kind == waiter_kind::put) return seq - next_ < window_;
    return slots_[next_ % window_].has_value() || producers_left_ == 0;
  }

  // With the lock held: wakes the waiters of `kind` that can make progress; they re-check.
  void wake(waiter_kind kind) {
    auto& list = kind == waiter_kind::put ? puts_ : nexts_;
    for (auto it = list.begin(); it != list.end();) {
      if (ready(kind, it->seq)) {
        it->op.complete({});
        it = list.erase(it);
      } else {
        ++it;
      }
    }
  }

  struct cancel_handler {
    reorder_buffer* self;
    waiter_kind kind;
    std::uint64_t id;
    void operator()(net::cancellation_type_t) const {
      std::lock_guard lock(self->mutex_);
      auto& list = kind == waiter_kind::put ? self->puts_ : self->nexts_;
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->op.id() == id) {
          it->op.complete(net::error::operation_aborted);
          list.erase(it);
          return;
        }
      }
    }
  };

  struct wait_initiation {
    reorder_buffer* self;
    waiter_kind kind;
    std::uint64_t seq;
    template <class Handler>
    void operator()(Handler&& handler) const {
      std::lock_guard lock(self->mutex_);
      detail::suspended_op<> op(self->next_id_++, std::forward<Handler>(handler));
      if (self->ready(kind, seq)) return op.complete({});  // changed since the try: re-check
      auto slot = op.slot();
      auto id = op.id();
      auto& list = kind == waiter_kind::put ? self->puts_ : self->nexts_;
      list.push_back(waiter{std::move(op), seq});
      if (slot.is_connected()) slot.template emplace<cancel_handler>(cancel_handler{self, kind, id});
    }
  };

  const std::size_t window_;
  mutable std::mutex mutex_;
  std::size_t producers_left_;
  std::uint64_t next_;
  std::vector<std::optional<T>> slots_;
  std::size_t stored_ = 0;
  bool cancelled_ = false;
  std::uint64_t next_id_ = 1;
  std::list<waiter> puts_;
  std::list<waiter> nexts_;
};

}  // namespace idabus::pipeline
