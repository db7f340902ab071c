#pragma once
// ru_budget: the request-unit budget of one job, shared by all of its workers (thread-safe).
// The accounting is ru_ledger (see ru_ledger.hpp for the token bucket and AIMD model); this
// class adds a mutex, a clock and waiting on steady timers.
//
// - co_await reserve(estimate) completes once the estimate fits, in arrival order; it resumes on
//   the awaiting coroutine's own executor. With an unlimited budget it completes at once unless
//   a throttle pause is running.
//   Cancellation: a waiting reserve reacts to its cancellation slot by throwing
//   system_error(operation_aborted) and returning its place; nothing is granted.
// - settle(reservation, actual_charge) corrects the estimate by the server's charge
//   (x-ms-request-charge); call it once per reservation, also for failed requests that were
//   charged. A reservation that is never settled keeps its estimate as the charge.
// - on_throttled(retry_after) reports a 429: every reserve waits out retry_after (also when the
//   budget is unlimited) and the rate drops, then recovers to the budget.
// - counters(): a snapshot (consumed RU, reservations, throttles, current rate, time waited).
// The clock is injectable for tests; timers wait for the durations it implies.

#include "pipeline/ru_ledger.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <mutex>

namespace idabus::pipeline {

namespace net = boost::asio;

class ru_budget {
 public:
  using time_point = ru_ledger::time_point;
  using clock_function = std::function<time_point()>;

  /// A granted reservation, to be settled with the real charge.
  struct reservation {
    double estimate = 0;
  };

  /// Throws std::invalid_argument for out-of-range options. `clock` defaults to steady_clock.
  explicit ru_budget(ru_budget_options options, clock_function clock = {});
  ru_budget(const ru_budget&) = delete;
  ru_budget& operator=(const ru_budget&) = delete;

  /// Waits until `estimate` RU (>= 0) may be spent; see the contract above.
  net::awaitable<reservation> reserve(double estimate);

  void settle(reservation granted, double actual_charge);

  void on_throttled(std::chrono::milliseconds retry_after);

  ru_counters counters() const;

  const ru_budget_options& options() const noexcept { return options_; }

 private:
  time_point now() const { return clock_(); }

  ru_budget_options options_;
  clock_function clock_;
  mutable std::mutex mutex_;
  mutable ru_ledger ledger_;
};

}  // namespace idabus::pipeline
