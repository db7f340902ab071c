#pragma once
// stage_stats: per-stage counters that show where a pipeline's backpressure sits.
//
// - stage_counters: items and bytes a stage produced, and the time it spent blocked on
//   receive (starved by upstream) versus on send (held back by downstream). Relaxed atomics:
//   cheap enough for every item, safe from any thread; readers see a consistent-enough view.
// - stage_stats: the registry of one pipeline. add(name) returns a reference that stays valid
//   for the registry's lifetime; snapshot() copies all counters in registration order.
// - stats_snapshot prints one line per stage (to_string) or Prometheus text exposition
//   (to_prometheus) with metrics <prefix>_stage_items_total, <prefix>_stage_bytes_total and
//   <prefix>_stage_blocked_seconds_total{on="receive"|"send"}, labelled stage="<name>".
// - counted_receive / counted_send wrap a channel operation and record the blocked time (and,
//   for a send, one item plus its bytes). They throw what the channel throws.

#include "pipeline/channel.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace idabus::pipeline {

namespace net = boost::asio;

struct stage_snapshot {
  std::string name;
  std::uint64_t items = 0;
  std::uint64_t bytes = 0;
  std::chrono::nanoseconds blocked_receive{0};
  std::chrono::nanoseconds blocked_send{0};
};

struct stats_snapshot {
  std::vector<stage_snapshot> stages;

  /// One line per stage: "<name> items=N bytes=N blocked_receive=S.SSSs blocked_send=S.SSSs".
  std::string to_string() const;

  /// Prometheus text format. `prefix` must be a valid metric name prefix
  /// ([a-zA-Z_:][a-zA-Z0-9_:]*), else std::invalid_argument.
  std::string to_prometheus(std::string_view prefix) const;
};

class stage_counters {
 public:
  explicit stage_counters(std::string name) : name_(std::move(name)) {}
  stage_counters(const stage_counters&) = delete;
  stage_counters& operator=(const stage_counters&) = delete;

  const std::string& name() const noexcept { return name_; }

  void add_items(std::uint64_t items, std::uint64_t bytes = 0) noexcept {
    items_.fetch_add(items, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void add_blocked_receive(std::chrono::nanoseconds d) noexcept {
    blocked_receive_ns_.fetch_add(d.count(), std::memory_order_relaxed);
  }
  void add_blocked_send(std::chrono::nanoseconds d) noexcept {
    blocked_send_ns_.fetch_add(d.count(), std::memory_order_relaxed);
  }

  stage_snapshot snapshot() const;

 private:
  std::string name_;
  std::atomic<std::uint64_t> items_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::int64_t> blocked_receive_ns_{0};
  std::atomic<std::int64_t> blocked_send_ns_{0};
};

class stage_stats {
 public:
  /// Registers a stage (names need not be unique, but should be). Thread-safe.
  stage_counters& add(std::string name);

  stats_snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::deque<stage_counters> stages_;  // deque: references stay valid as stages are added
};

/// Receives from `in`, adding the time spent waiting to `counters`' blocked-on-receive time.
template <class T>
net::awaitable<std::optional<T>> counted_receive(channel<T>& in, stage_counters& counters) {
  const auto start = std::chrono::steady_clock::now();
  auto item = co_await in.receive();
  counters.add_blocked_receive(std::chrono::steady_clock::now() - start);
  co_return item;
}

/// Sends to `out`, adding the time spent waiting to blocked-on-send, then counts one item of
/// `bytes` bytes as produced by the stage.
template <class T>
net::awaitable<void> counted_send(channel<T>& out, T value, stage_counters& counters, std::uint64_t bytes = 0) {
  const auto start = std::chrono::steady_clock::now();
  co_await out.send(std::move(value));
  counters.add_blocked_send(std::chrono::steady_clock::now() - start);
  counters.add_items(1, bytes);
}

}  // namespace idabus::pipeline
