#pragma once
// ru_budget: one request-unit budget shared by all of a job's workers (thread-safe): a
// keyed_ru_budget with a single key and no cap (see ru_ledger.hpp for the token bucket and AIMD
// model). Use keyed_ru_budget where the server enforces its limit per partition.
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

#include "pipeline/keyed_ru_budget.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace idabus::pipeline {

namespace net = boost::asio;

class ru_budget {
 public:
  using time_point = keyed_ru_budget::time_point;
  using clock_function = keyed_ru_budget::clock_function;

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

  /// The keyed budget underneath (one key: ""), for adapters that speak keys.
  keyed_ru_budget& keyed() noexcept { return keyed_; }

 private:
  ru_budget_options options_;
  keyed_ru_budget keyed_;  ///< one key: ""
};

}  // namespace idabus::pipeline
