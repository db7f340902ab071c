#pragma once
// ru_ledger: the pure accounting behind ru_budget — a token bucket of request units (RU) with
// AIMD rate control, driven entirely by the time points it is given (no clock, no timers, no
// locking), so it can be tested with a manual clock.
//
// Model:
// - `earned` grows at the current rate while not paused; `committed` grows by each request's
//   estimate when it joins the queue. The balance earned − committed is capped at one burst
//   (rate × burst_seconds, at most one second's worth); the bucket starts empty, so a job never
//   opens with a burst.
// - Requests are served strictly in arrival order: a ticket is granted once `earned` reaches
//   the commitments ahead of it plus its own estimate (an estimate larger than one burst needs
//   a full bucket, then leaves a debt). Over any window of length W the estimates granted are at
//   most burst + rate × W.
// - withdraw() returns a waiting ticket's estimate to the tickets *behind* it at once; those ahead
//   of it get it only once `earned` has reached them (they were never waiting for it), so a
//   cancelled waiter never lets an earlier one through before its time.
// - settle() replaces an estimate by the real charge: a larger charge is a debt every later
//   grant waits for; a smaller one is credited back.
// - throttled() (a 429) pauses all grants until now + retry_after, drops any saved-up balance,
//   and multiplies the rate by `throttle_decrease` (at most once per `decrease_interval`, since
//   one overload produces many 429s). Afterwards the rate climbs back additively by
//   `recovery_per_second` × budget each second, up to the budget.
// - ru_per_second == 0 means unlimited: no bucket, no AIMD; only throttle pauses delay grants.
// - set_budget() changes the budget in flight (e.g. a range's share after a split): a lowered
//   (AIMD) rate keeps its fraction of the budget, queued tickets keep their places; a ledger that
//   turns from unlimited to limited starts with an empty bucket.

#include <chrono>
#include <cstdint>
#include <map>

namespace idabus::pipeline {

struct ru_budget_options {
  double ru_per_second = 0;        ///< the job's budget; 0 = unlimited
  double burst_seconds = 1.0;      ///< bucket size in seconds of the current rate, in (0, 1]
  double throttle_decrease = 0.5;  ///< rate factor on a 429, in (0, 1)
  double recovery_per_second = 0.1;  ///< additive increase per second, fraction of the budget (> 0)
  double min_rate_fraction = 0.05;   ///< the rate never drops below this fraction of the budget
  std::chrono::milliseconds decrease_interval{1000};  ///< at most one decrease per interval
};

/// Throws std::invalid_argument naming the first option out of range.
void validate(const ru_budget_options& options);

/// A point-in-time view of a budget's accounting.
struct ru_counters {
  double consumed_ru = 0;          ///< sum of settled real charges
  double granted_ru = 0;           ///< sum of granted estimates
  std::uint64_t reservations = 0;  ///< granted reservations
  std::uint64_t throttles = 0;     ///< 429s reported
  double current_rate = 0;         ///< RU/s allowed now; 0 = unlimited
  double balance_ru = 0;           ///< tokens available now (negative: debt / queued commitments)
  std::chrono::nanoseconds waited{0};  ///< total time granted reservations spent waiting
};

class ru_ledger {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A place in the queue (see enqueue).
  struct ticket {
    double estimate = 0;
    double threshold = 0;  ///< `earned` needed before the grant
    double ahead = 0;      ///< commitments ahead of it when it joined
    time_point enqueued{};
  };

  struct decision {
    bool granted = false;
    time_point retry_at{};  ///< when not granted: the earliest time a grant can happen
  };

  /// Throws std::invalid_argument for out-of-range options.
  ru_ledger(ru_budget_options options, time_point now);

  /// Joins the queue with `estimate` RU (>= 0; throws std::invalid_argument otherwise).
  ticket enqueue(double estimate, time_point now);

  /// Grants the ticket if its turn has come (then counts it), or says when to ask again.
  /// Call until granted, or withdraw().
  decision try_grant(const ticket& t, time_point now);

  /// Leaves the queue without a grant (cancelled waiter): its commitment is returned.
  void withdraw(const ticket& t, time_point now);

  /// Gives a granted ticket back unspent (its holder gave up before sending): the estimate is
  /// returned and the grant no longer counts (the time it waited still does).
  void revoke(const ticket& t, time_point now);

  /// Changes the budget (RU/s, 0 = unlimited; throws std::invalid_argument when negative or not
  /// finite); see the model above.
  void set_budget(double ru_per_second, time_point now);

  /// Corrects a granted estimate by the real charge (debt carries over to later grants).
  void settle(double estimate, double actual_charge, time_point now);

  /// The server throttled a request: pause everyone for retry_after and lower the rate.
  void throttled(std::chrono::milliseconds retry_after, time_point now);

  ru_counters counters(time_point now);

  bool unlimited() const noexcept { return options_.ru_per_second == 0; }
  double rate() const noexcept { return rate_; }
  double budget() const noexcept { return options_.ru_per_second; }

 private:
  void advance(time_point now);
  double burst() const noexcept { return rate_ * options_.burst_seconds; }
  void clamp_balance() noexcept;
  /// Estimates withdrawn behind position `ahead` (owed to a ticket with that many RU ahead of it).
  double returned_before(double ahead) const noexcept;
  /// Moves into `earned` every returned estimate that no waiting ticket ahead of it can still use.
  void pass_on_returned() noexcept;

  ru_budget_options options_;
  double rate_;
  double earned_ = 0;
  double committed_ = 0;
  time_point last_;
  time_point paused_until_{};
  time_point next_decrease_{};
  /// Withdrawn estimates by their position in the queue (commitments ahead of them), waiting
  /// until `earned` reaches that position.
  std::map<double, double> returned_;
  ru_counters counters_;
};

}  // namespace idabus::pipeline
