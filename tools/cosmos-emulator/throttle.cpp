#include "tools/cosmos-emulator/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace idabus::emulator {

namespace {

// Weight of the newest charge in the running average the bookings use.
constexpr double estimate_weight = 0.2;

token_bucket::clock::duration seconds_of(double seconds) {
  return std::chrono::duration_cast<token_bucket::clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

token_bucket::token_bucket(double ru_per_second, clock::time_point now) noexcept
    : rate_(std::max(0.0, ru_per_second)), balance_(rate_), last_(now) {}

void token_bucket::refill(clock::time_point now) noexcept {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  balance_ = std::min(rate_, balance_ + seconds * rate_);
  last_ = now;
}

void token_bucket::set_rate(double ru_per_second, clock::time_point now) noexcept {
  refill(now);
  rate_ = std::max(0.0, ru_per_second);
  balance_ = std::min(balance_, rate_);
  booked_until_ = {};
}

std::optional<std::chrono::milliseconds> token_bucket::admit(clock::time_point now) noexcept {
  if (rate_ <= 0) return std::nullopt;
  refill(now);
  if (balance_ > 0) return std::nullopt;
  // This request's turn: when the balance is positive again, or after the requests already told
  // to come back, whichever is later; then book its estimated charge after it.
  const clock::time_point horizon = now + max_retry_after;
  const clock::time_point positive_at = now + seconds_of(-balance_ / rate_);
  const clock::time_point turn = std::min(horizon, std::max(positive_at, booked_until_));
  booked_until_ = std::min(horizon, turn + seconds_of(estimate_ / rate_));
  // Rounded up plus 1 ms, so the balance is strictly positive when the client returns.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(turn - now) + std::chrono::milliseconds(1);
  return std::min<std::chrono::milliseconds>(ms, max_retry_after);
}

void token_bucket::consume(double charge, clock::time_point now) noexcept {
  if (rate_ <= 0) return;
  refill(now);
  balance_ -= charge;
  estimate_ = estimate_ > 0 ? estimate_ + estimate_weight * (charge - estimate_) : charge;
}

double token_bucket::balance(clock::time_point now) noexcept {
  refill(now);
  return balance_;
}

double partition_share(double collection_ru_per_second, std::uint32_t partitions) noexcept {
  if (collection_ru_per_second <= 0 || partitions == 0) return 0;
  return collection_ru_per_second / static_cast<double>(partitions);
}

}  // namespace idabus::emulator
