#pragma once
// throttle: per-physical-partition request-unit budget, enforced per second like the service.
//
// A collection's provisioned RU/s is split evenly across its physical partitions; each partition
// owns one token_bucket with rate = capacity = its share (one second of burst). Contract:
// - admit(now): a request may run while the bucket holds a positive balance. Admission is checked
//   BEFORE the operation executes, so a throttled write is never applied.
// - consume(charge, now): after the operation ran, its actual charge is taken; the balance may go
//   negative (one request can overdraw, as in the service); later requests wait until it refills.
// - retry-after is queue-aware: every rejected request books its estimated charge (a running
//   average of the charges consumed) against the partition's future capacity, so the next rejected
//   request is told a later time. The first is told the time until the balance is positive again;
//   each later one the end of the bookings made before it. Clients that come back when told are
//   then admitted one after another instead of all at the same instant.
// - Bookings decay by themselves: they are a point in time (`booked_until`) that the clock passes;
//   a booking never reaches further than `max_retry_after` ahead, and no retry-after exceeds it.
//   Retry-afters are whole ms, rounded up, at least 1.
// - rate 0 disables throttling (admit always succeeds, consume is a no-op).
// The clock is injected (every call takes `now`), so tests drive time by hand.
// Not thread-safe: the owner (a partition, under its mutex) serialises calls.

#include <chrono>
#include <cstdint>
#include <optional>

namespace idabus::emulator {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  /// The furthest ahead a rejected request is booked (and the longest retry-after).
  static constexpr std::chrono::milliseconds max_retry_after{10'000};

  /// A full bucket refilling at `ru_per_second` (0 = unlimited).
  token_bucket(double ru_per_second, clock::time_point now) noexcept;

  /// Changes the rate (offer replace); the balance is clamped to the new capacity.
  void set_rate(double ru_per_second, clock::time_point now) noexcept;
  double rate() const noexcept { return rate_; }

  /// nullopt when the request may run now; otherwise how long to wait before retrying (and the
  /// request's estimated charge is booked at that time).
  std::optional<std::chrono::milliseconds> admit(clock::time_point now) noexcept;

  /// Takes `charge` request units (after the operation ran).
  void consume(double charge, clock::time_point now) noexcept;

  /// Current balance after refilling to `now` (for tests and diagnostics).
  double balance(clock::time_point now) noexcept;

  /// The charge a rejected request is assumed to cost: the running average of consumed charges.
  double estimated_charge() const noexcept { return estimate_; }

 private:
  void refill(clock::time_point now) noexcept;

  double rate_;
  double balance_;
  clock::time_point last_;
  double estimate_ = 0;
  clock::time_point booked_until_{};
};

/// The share of one physical partition: `collection_ru_per_second / partitions` (0 stays 0).
double partition_share(double collection_ru_per_second, std::uint32_t partitions) noexcept;

}  // namespace idabus::emulator
