#pragma once
// channel<T>: a bounded, thread-safe, multi-producer multi-consumer queue between coroutines.
//
// - send(value) completes at once while fewer than `capacity` items are buffered (or a receiver
//   is waiting); otherwise it suspends until a receiver makes room. Suspension is the only
//   backpressure; the buffer never grows beyond `capacity`. Capacity 0 is a rendezvous.
// - End of stream is a message: every producer calls finish() once (the channel is built with
//   the number of producers, default 1). After the last finish(), receivers first get every
//   buffered item and every item of a sender still suspended, then std::nullopt, forever.
//   (Never Boost 1.81's channel close(): it throws buffered messages away.)
// - cancel() is teardown, not end of stream: buffered items are dropped, every suspended send
//   and receive completes with net::error::operation_aborted, and later calls throw the same.
// - Cancellation: a send or receive suspended in the channel reacts to its own per-operation
//   cancellation slot (any cancellation type) by throwing boost::system::system_error with
//   net::error::operation_aborted; a cancelled send does not deliver its value.
// - A suspended operation resumes on its own coroutine's executor; the channel itself owns no
//   executor and may be used from several threads.
// - send() after the last finish() throws std::logic_error (a pipeline wiring bug).
// The channel must outlive every operation on it.

#include "pipeline/detail/suspended_op.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace idabus::pipeline {

namespace net = boost::asio;

template <class T>
class channel {
 public:
  explicit channel(std::size_t capacity, std::size_t producers = 1)
      : capacity_(capacity), producers_left_(producers) {
    if (producers == 0) throw std::invalid_argument("channel: producers must be at least 1");
  }
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  /// Sends one item; suspends while the channel is full. Throws system_error(operation_aborted)
  /// when cancelled, std::logic_error after the stream was finished.
  net::awaitable<void> send(T value) {
    if (try_send(value)) co_return;
    // Named first: GCC 12 miscompiles braced temporaries inside a co_await operand.
    send_initiation init{this};
    auto wait = net::async_initiate<const net::use_awaitable_t<>&, void(boost::system::error_code)>(
        init, net::use_awaitable, std::move(value));
    co_await std::move(wait);
  }

  /// Sends without suspending: true when the item was taken (then `value` is moved from).
  bool try_send(T& value) {
    std::lock_guard lock(mutex_);
    check_send_allowed();
    return offer(value);
  }

  /// The next item, or std::nullopt once the stream has ended and everything was delivered.
  /// Throws system_error(operation_aborted) when cancelled.
  net::awaitable<std::optional<T>> receive() {
    std::optional<T> item;
    if (try_receive(item)) co_return item;
    receive_initiation init{this};
    auto wait = net::async_initiate<const net::use_awaitable_t<>&,
                                    void(boost::system::error_code, std::optional<T>)>(init, net::use_awaitable);
    co_return co_await std::move(wait);
  }

  /// Receives without suspending: true when `out` was set (an item, or std::nullopt at end of
  /// stream); false when the caller would have to wait.
  bool try_receive(std::optional<T>& out) {
    std::lock_guard lock(mutex_);
    if (cancelled_) throw_aborted();
    return take(out);
  }

  /// One producer is done. After the last producer's call the stream ends (see above).
  void finish() {
    std::lock_guard lock(mutex_);
    if (producers_left_ == 0) return;
    if (--producers_left_ > 0) return;
    // Receivers wait only when nothing is buffered and no sender waits: they see the end now.
    while (!receivers_.empty()) {
      receivers_.front().complete({}, std::nullopt);
      receivers_.pop_front();
    }
  }

  /// Tears the channel down: drops buffered items and aborts every waiting operation.
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    buffer_.clear();
    for (auto& s : senders_) s.op.complete(net::error::operation_aborted);
    senders_.clear();
    for (auto& r : receivers_) r.complete(net::error::operation_aborted, std::nullopt);
    receivers_.clear();
  }

  std::size_t capacity() const noexcept { return capacity_; }

  /// Items buffered right now (not counting suspended senders).
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return buffer_.size();
  }

  /// True once every producer called finish().
  bool finished() const {
    std::lock_guard lock(mutex_);
    return producers_left_ == 0;
  }

 private:
  using send_op = detail::suspended_op<>;
  using receive_op = detail::suspended_op<std::optional<T>>;
  struct waiting_sender {
    send_op op;
    T value;
  };

  [[noreturn]] static void throw_aborted() {
    throw boost::system::system_error(net::error::operation_aborted, "channel cancelled");
  }

  void check_send_allowed() const {
    if (cancelled_) throw_aborted();
    if (producers_left_ == 0) throw std::logic_error("channel: send after the stream was finished");
  }

  // With the lock held: hand `value` to a waiting receiver or buffer it. False when full.
  bool offer(T& value) {
    if (!receivers_.empty()) {
      receivers_.front().complete({}, std::optional<T>(std::move(value)));
      receivers_.pop_front();
      return true;
    }
    if (buffer_.size() < capacity_) {
      buffer_.push_back(std::move(value));
      return true;
    }
    return false;
  }

  // With the lock held: an item or end of stream into `out`; false when the caller must wait.
  bool take(std::optional<T>& out) {
    if (!buffer_.empty()) {
      out.emplace(std::move(buffer_.front()));
      buffer_.pop_front();
      if (!senders_.empty()) {  // room for the oldest suspended sender
        buffer_.push_back(std::move(senders_.front().value));
        senders_.front().op.complete({});
        senders_.pop_front();
      }
      return true;
    }
    if (!senders_.empty()) {  // capacity 0: take straight from a sender
      out.emplace(std::move(senders_.front().value));
      senders_.front().op.complete({});
      senders_.pop_front();
      return true;
    }
    if (producers_left_ == 0) {
      out.reset();
      return true;
    }
    return false;
  }

  struct send_cancel {
    channel* self;
    std::uint64_t id;
    void operator()(net::cancellation_type_t) const { self->cancel_sender(id); }
  };
  struct receive_cancel {
    channel* self;
    std::uint64_t id;
    void operator()(net::cancellation_type_t) const { self->cancel_receiver(id); }
  };

  struct send_initiation {
    channel* self;
    template <class Handler>
    void operator()(Handler&& handler, T value) const {
      std::lock_guard lock(self->mutex_);
      send_op op(self->next_id_++, std::forward<Handler>(handler));
      if (self->cancelled_) return op.complete(net::error::operation_aborted);
      if (self->producers_left_ == 0) return op.complete(net::error::operation_not_supported);
      if (self->offer(value)) return op.complete({});
      auto slot = op.slot();
      auto id = op.id();
      self->senders_.push_back(waiting_sender{std::move(op), std::move(value)});
      if (slot.is_connected()) slot.template emplace<send_cancel>(send_cancel{self, id});
    }
  };

  struct receive_initiation {
    channel* self;
    template <class Handler>
    void operator()(Handler&& handler) const {
      std::lock_guard lock(self->mutex_);
      receive_op op(self->next_id_++, std::forward<Handler>(handler));
      if (self->cancelled_) return op.complete(net::error::operation_aborted, std::nullopt);
      std::optional<T> out;
      if (self->take(out)) return op.complete({}, std::move(out));
      auto slot = op.slot();
      auto id = op.id();
      self->receivers_.push_back(std::move(op));
      if (slot.is_connected()) slot.template emplace<receive_cancel>(receive_cancel{self, id});
    }
  };

  void cancel_sender(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    for (auto it = senders_.begin(); it != senders_.end(); ++it) {
      if (it->op.id() == id) {
        it->op.complete(net::error::operation_aborted);
        senders_.erase(it);
        return;
      }
    }
  }

  void cancel_receiver(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    for (auto it = receivers_.begin(); it != receivers_.end(); ++it) {
      if (it->id() == id) {
        it->complete(net::error::operation_aborted, std::nullopt);
        receivers_.erase(it);
        return;
      }
    }
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::size_t producers_left_;
  bool cancelled_ = false;
  std::uint64_t next_id_ = 1;
  std::deque<T> buffer_;
  std::list<waiting_sender> senders_;
  std::list<receive_op> receivers_;
};

}  // namespace idabus::pipeline
