#pragma once
// keyed_ru_budget: request-unit budgets per key (e.g. one per physical partition of a store)
// under one optional job-wide cap, shared by all of a job's workers (thread-safe). The accounting
// is keyed_ru_ledger (see keyed_ru_ledger.hpp and ru_ledger.hpp for the model); this class adds
// a mutex, a clock and waiting on steady timers.
//
// - co_await reserve(key, estimate) completes once the estimate fits the key's budget and then
//   the cap, in arrival order per key; it resumes on the awaiting coroutine's own executor. A key
//   never configured with set_rate() runs at options.per_key.ru_per_second (0 = unlimited).
//   Cancellation: a waiting reserve reacts to its cancellation slot by throwing
//   system_error(operation_aborted) and returning its place (on the key and on the cap); nothing
//   is granted.
// - settle(reservation, actual_charge) corrects the estimate by the real charge on the key and
//   the cap; call it once per reservation (also for failed requests that were charged).
// - on_throttled(key, retry_after) reports that the server refused a request of `key`: only that
//   key's reserves wait out retry_after, and only its rate drops (AIMD), then recovers. Other
//   keys and the cap are unaffected. For a key that was removed it is only counted (it does not
//   bring the key back).
// - set_rate(key, ru_per_second) creates a key or changes its budget in flight (0 = unlimited);
//   remove_key(key) forgets one (once nothing waits on it). A waiting reserve asks the ledger
//   again at least every 50 ms, so a raised rate takes effect within that, not only once the
//   wait computed at the old rate has passed.
// - counters(key), total_counters(): snapshots (see keyed_ru_ledger for what each one counts).
// The clock is injectable for tests; timers wait for the durations it implies.

#include "pipeline/keyed_ru_ledger.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace idabus::pipeline {

namespace net = boost::asio;

class keyed_ru_budget {
 public:
  using time_point = keyed_ru_ledger::time_point;
  using clock_function = std::function<time_point()>;

  /// A granted reservation, to be settled with the real charge.
  struct reservation {
    std::string key;
    double estimate = 0;
  };

  /// Throws std::invalid_argument for out-of-range options. `clock` defaults to steady_clock.
  explicit keyed_ru_budget(keyed_ru_budget_options options, clock_function clock = {});
  keyed_ru_budget(const keyed_ru_budget&) = delete;
  keyed_ru_budget& operator=(const keyed_ru_budget&) = delete;

  /// Throws std::invalid_argument for a negative or infinite rate.
  void set_rate(std::string key, double ru_per_second);
  void remove_key(std::string key);

  /// Waits until `estimate` RU (>= 0) may be spent on `key`; see the contract above.
  net::awaitable<reservation> reserve(std::string key, double estimate);

  void settle(reservation granted, double actual_charge);

  void on_throttled(std::string key, std::chrono::milliseconds retry_after);

  ru_counters counters(std::string_view key) const;
  ru_counters total_counters() const;

  const keyed_ru_budget_options& options() const noexcept { return options_; }

 private:
  time_point now() const { return clock_(); }

  keyed_ru_budget_options options_;
  clock_function clock_;
  mutable std::mutex mutex_;
  mutable keyed_ru_ledger ledger_;
};

}  // namespace idabus::pipeline
