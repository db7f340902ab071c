#pragma once
// keyed_ru_ledger: the pure accounting behind keyed_ru_budget — one ru_ledger per key (its own
// rate, burst, AIMD and throttle pauses), all under one optional cap ledger, driven by the time
// points it is given (no clock, no timers, no locking).
//
// Model (see ru_ledger.hpp for one bucket):
// - A key's ledger is created on first use at `per_key.ru_per_second` (0 = unlimited) unless
//   set_rate() configured it; set_rate() re-sets it in flight (ru_ledger::set_budget).
// - A ticket waits for its key's ledger first, in arrival order per key, and only then joins the
//   cap's queue. So a key that cannot be served (paused, or out of tokens) never holds a place in
//   the cap's queue ahead of other keys; the cap's queue is in order of key grants.
// - throttled(key) pauses and lowers only that key's ledger; other keys and the cap are unaffected.
//   A throttle is reported for a request that enqueued on its key, so a key the ledger does not
//   hold was forgotten (remove_key): the throttle is counted and creates nothing.
// - settle() corrects the key's ledger and the cap alike.
// - remove_key() forgets a key once no ticket waits on it (a key re-created later starts afresh);
//   settling a forgotten key corrects the cap only.
// Invariants: every grant was granted by its key's ledger and then by the cap; over any window W
// the estimates granted on a key are at most its burst + rate × W, and in total at most the
// cap's burst + cap × W (when there is a cap).

#include "pipeline/ru_ledger.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::pipeline {

struct keyed_ru_budget_options {
  ru_budget_options per_key;     ///< template of every key's ledger; ru_per_second = default rate
  double cap_ru_per_second = 0;  ///< job-wide cap over all keys; 0 = no cap
};

/// Throws std::invalid_argument naming the first option out of range.
void validate(const keyed_ru_budget_options& options);

class keyed_ru_ledger {
 public:
  using time_point = ru_ledger::time_point;

  /// A place in a key's queue, then in the cap's (see try_grant).
  struct ticket {
    std::string key;
    ru_ledger::ticket on_key;
    std::optional<ru_ledger::ticket> on_cap;  ///< set once the key granted it
    time_point enqueued{};
  };

  /// Throws std::invalid_argument for out-of-range options.
  keyed_ru_ledger(keyed_ru_budget_options options, time_point now);

  /// Creates `key` at `ru_per_second` (0 = unlimited) or changes its rate.
  void set_rate(std::string key, double ru_per_second, time_point now);

  /// Forgets `key` (at once, or when its last waiting ticket is granted or withdrawn).
  void remove_key(std::string_view key);

  /// Joins `key`'s queue with `estimate` RU (>= 0; throws std::invalid_argument otherwise).
  ticket enqueue(std::string key, double estimate, time_point now);

  /// Advances the ticket through its key's ledger, then the cap's; grants it when both have.
  /// Call until granted, or withdraw().
  ru_ledger::decision try_grant(ticket& t, time_point now);

  /// Leaves the queues without a grant: every commitment the ticket holds is returned.
  void withdraw(const ticket& t, time_point now);

  /// Corrects a granted estimate of `key` by the real charge, on the key and the cap.
  void settle(std::string_view key, double estimate, double actual_charge, time_point now);

  /// The server throttled a request of `key`: pause and lower that key only (counted only when
  /// `key` was forgotten).
  void throttled(std::string_view key, std::chrono::milliseconds retry_after, time_point now);

  /// One key's accounting (its waited: time spent waiting for the key's own ledger); zeros and
  /// the default rate for a key never used.
  ru_counters counters(std::string_view key, time_point now);

  /// All keys together: consumed, granted and reservations as the cap counted them (every grant
  /// passes it), throttles of every key, waited from enqueue to grant; current_rate and
  /// balance_ru are the cap's (0 without a cap).
  ru_counters total_counters(time_point now);

 private:
  struct entry {
    explicit entry(ru_budget_options options, time_point now) : ledger(options, now) {}
    ru_ledger ledger;
    std::size_t waiting = 0;  ///< tickets enqueued, neither granted nor withdrawn
    bool removed = false;
  };

  entry& entry_for(std::string_view key, time_point now);
  entry* find(std::string_view key);
  void release(entry& e, std::string_view key);

  keyed_ru_budget_options options_;
  std::map<std::string, std::unique_ptr<entry>, std::less<>> keys_;
  ru_ledger cap_;
  std::uint64_t throttles_ = 0;
  std::chrono::nanoseconds waited_{0};
};

}  // namespace idabus::pipeline
