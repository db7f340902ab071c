#include "tools/cosmos-emulator/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace idabus::emulator {

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
}

std::optional<std::chrono::milliseconds> token_bucket::admit(clock::time_point now) noexcept {
  if (rate_ <= 0) return std::nullopt;
  refill(now);
  if (balance_ > 0) return std::nullopt;
  // Time until the balance becomes positive again; at least 1 ms so clients always wait.
  const double ms = std::ceil((-balance_ / rate_) * 1000.0);
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(ms) + 1));
}

void token_bucket::consume(double charge, clock::time_point now) noexcept {
  if (rate_ <= 0) return;
  refill(now);
  balance_ -= charge;
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
