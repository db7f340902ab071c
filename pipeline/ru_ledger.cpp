#include "pipeline/ru_ledger.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace idabus::pipeline {

namespace {

using seconds_d = std::chrono::duration<double>;

void require(bool ok, const char* field, const char* expected, double got) {
  if (!ok) {
    throw std::invalid_argument(std::string("ru_budget option '") + field + "': expected " + expected +
                                ", got " + std::to_string(got));
  }
}

}  // namespace

void validate(const ru_budget_options& o) {
  require(std::isfinite(o.ru_per_second) && o.ru_per_second >= 0, "ru_per_second", "a number >= 0 (0 = unlimited)",
          o.ru_per_second);
  require(o.burst_seconds > 0 && o.burst_seconds <= 1, "burst_seconds", "a value in (0, 1]", o.burst_seconds);
  require(o.throttle_decrease > 0 && o.throttle_decrease < 1, "throttle_decrease", "a value in (0, 1)",
          o.throttle_decrease);
  require(o.recovery_per_second > 0 && std::isfinite(o.recovery_per_second), "recovery_per_second", "a value > 0",
          o.recovery_per_second);
  require(o.min_rate_fraction > 0 && o.min_rate_fraction <= 1, "min_rate_fraction", "a value in (0, 1]",
          o.min_rate_fraction);
  require(o.decrease_interval.count() >= 0, "decrease_interval", "a duration >= 0",
          static_cast<double>(o.decrease_interval.count()));
}

ru_ledger::ru_ledger(ru_budget_options options, time_point now)
    : options_(options), rate_(options.ru_per_second), last_(now), paused_until_(now), next_decrease_(now) {
  validate(options_);
}

void ru_ledger::advance(time_point now) {
  if (now <= last_) return;
  const time_point from = std::max(last_, paused_until_);
  last_ = now;
  if (unlimited() || from >= now) return;
  double dt = seconds_d(now - from).count();
  const double budget = options_.ru_per_second;
  double earned = 0;
  if (rate_ < budget) {
    // Additive increase: the rate climbs linearly to the budget; integrate it exactly.
    const double slope = options_.recovery_per_second * budget;
    const double to_budget = (budget - rate_) / slope;
    if (dt <= to_budget) {
      earned = rate_ * dt + slope * dt * dt / 2;
      rate_ += slope * dt;
    } else {
      earned = (rate_ + budget) / 2 * to_budget + budget * (dt - to_budget);
      rate_ = budget;
    }
  } else {
    earned = rate_ * dt;
  }
  earned_ += earned;
  clamp_balance();
  pass_on_returned();
}

void ru_ledger::clamp_balance() noexcept {
  if (earned_ - committed_ > burst()) earned_ = committed_ + burst();
}

double ru_ledger::returned_before(double ahead) const noexcept {
  double sum = 0;
  for (auto it = returned_.begin(); it != returned_.end() && it->first < ahead; ++it) sum += it->second;
  return sum;
}

void ru_ledger::pass_on_returned() noexcept {
  // Once `earned` reaches a withdrawn ticket's position, every ticket ahead of it can be granted
  // already: from then on its estimate may serve anyone.
  while (!returned_.empty() && earned_ >= returned_.begin()->first) {
    earned_ += returned_.begin()->second;
    returned_.erase(returned_.begin());
    clamp_balance();
  }
}

ru_ledger::ticket ru_ledger::enqueue(double estimate, time_point now) {
  if (!(estimate >= 0) || !std::isfinite(estimate)) {
    throw std::invalid_argument("ru_budget: estimate must be a finite number >= 0, got " + std::to_string(estimate));
  }
  advance(now);
  ticket t;
  t.estimate = estimate;
  t.enqueued = now;
  if (!unlimited()) {
    t.ahead = committed_;
    t.threshold = committed_ + std::min(estimate, burst());
    committed_ += estimate;
  }
  return t;
}

ru_ledger::decision ru_ledger::try_grant(const ticket& t, time_point now) {
  advance(now);
  decision d;
  if (now < paused_until_) {
    d.retry_at = paused_until_;
    return d;
  }
  if (!unlimited()) {
    const double missing = t.threshold - earned_ - returned_before(t.ahead);
    // Relative tolerance: the integration above is in floating point.
    if (missing > 1e-12 * std::max(1.0, std::abs(t.threshold))) {
      // The rate only grows until the next throttle, so retry_at is never early.
      const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(seconds_d(missing / rate_));
      d.retry_at = now + wait + std::chrono::nanoseconds(1);
      return d;
    }
  }
  d.granted = true;
  ++counters_.reservations;
  counters_.granted_ru += t.estimate;
  counters_.waited += now - t.enqueued;
  return d;
}

void ru_ledger::withdraw(const ticket& t, time_point now) {
  advance(now);
  if (unlimited()) return;
  returned_[t.ahead] += t.estimate;
  pass_on_returned();
}

void ru_ledger::revoke(const ticket& t, time_point now) {
  withdraw(t, now);
  --counters_.reservations;
  counters_.granted_ru -= t.estimate;
}

void ru_ledger::set_budget(double ru_per_second, time_point now) {
  require(std::isfinite(ru_per_second) && ru_per_second >= 0, "ru_per_second", "a number >= 0 (0 = unlimited)",
          ru_per_second);
  advance(now);
  const double old_budget = options_.ru_per_second;
  options_.ru_per_second = ru_per_second;
  if (unlimited()) {
    rate_ = 0;
    returned_.clear();  // no bucket, no queue to pass them on to
    return;
  }
  if (old_budget == 0) {
    rate_ = ru_per_second;
    earned_ = committed_;  // no bucket was kept while unlimited: start empty
    return;
  }
  rate_ = rate_ / old_budget * ru_per_second;
  clamp_balance();
}

void ru_ledger::settle(double estimate, double actual_charge, time_point now) {
  if (!(actual_charge >= 0) || !std::isfinite(actual_charge)) {
    throw std::invalid_argument("ru_budget: actual charge must be a finite number >= 0, got " +
                                std::to_string(actual_charge));
  }
  advance(now);
  counters_.consumed_ru += actual_charge;
  if (unlimited()) return;
  earned_ += estimate - actual_charge;
  clamp_balance();
  pass_on_returned();
}

void ru_ledger::throttled(std::chrono::milliseconds retry_after, time_point now) {
  advance(now);
  ++counters_.throttles;
  paused_until_ = std::max(paused_until_, now + std::max(retry_after, std::chrono::milliseconds(0)));
  if (unlimited()) return;
  if (now >= next_decrease_) {
    rate_ = std::max(options_.ru_per_second * options_.min_rate_fraction, rate_ * options_.throttle_decrease);
    next_decrease_ = now + options_.decrease_interval;
  }
  earned_ = std::min(earned_, committed_);  // no saved-up burst into an overloaded server
}

ru_counters ru_ledger::counters(time_point now) {
  advance(now);
  ru_counters c = counters_;
  c.current_rate = unlimited() ? 0 : rate_;
  c.balance_ru = unlimited() ? 0 : earned_ + returned_before(std::numeric_limits<double>::infinity()) - committed_;
  return c;
}

}  // namespace idabus::pipeline
