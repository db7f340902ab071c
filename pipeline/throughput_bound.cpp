#include "pipeline/throughput_bound.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace idabus::pipeline {

namespace {

void require_non_negative(double value, const char* what) {
  if (!std::isfinite(value) || value < 0) {
    throw std::invalid_argument(std::string("throughput bound: ") + what + " must be a finite number >= 0, got " +
                                std::to_string(value));
  }
}

}  // namespace

throughput_bound physical_bound(std::span<const key_load> keys, double cap_ru_per_second) {
  require_non_negative(cap_ru_per_second, "cap");
  throughput_bound b;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    require_non_negative(keys[i].needed_ru, "needed RU");
    require_non_negative(keys[i].share_ru_per_second, "share");
    b.total_ru += keys[i].needed_ru;
    if (keys[i].share_ru_per_second == 0) continue;
    const double seconds = keys[i].needed_ru / keys[i].share_ru_per_second;
    if (seconds > b.min_seconds) {
      b.min_seconds = seconds;
      b.limiting = i;
    }
  }
  if (cap_ru_per_second > 0 && b.total_ru / cap_ru_per_second > b.min_seconds) {
    b.min_seconds = b.total_ru / cap_ru_per_second;
    b.limiting = throughput_bound::cap_limited;
  }
  if (b.min_seconds > 0) {
    b.achievable_ru_per_second = b.total_ru / b.min_seconds;
  } else if (b.total_ru > 0) {
    b.achievable_ru_per_second = std::numeric_limits<double>::infinity();
  }
  return b;
}

std::vector<double> allocate_rates(std::span<const key_load> keys, double cap_ru_per_second) {
  require_non_negative(cap_ru_per_second, "cap");
  std::vector<double> rates(keys.size(), 0);
  double shares = 0;
  bool unlimited = false;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    require_non_negative(keys[i].needed_ru, "needed RU");
    require_non_negative(keys[i].share_ru_per_second, "share");
    if (keys[i].needed_ru == 0) continue;
    rates[i] = keys[i].share_ru_per_second;
    shares += keys[i].share_ru_per_second;
    unlimited = unlimited || keys[i].share_ru_per_second == 0;
  }
  if (cap_ru_per_second == 0 || (!unlimited && shares <= cap_ru_per_second)) return rates;
  // Keys saturate (reach their share) in order of share ÷ needed; λ grows until the cap is used.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].needed_ru > 0) order.push_back(i);
  }
  auto saturates_at = [&](std::size_t i) {
    return keys[i].share_ru_per_second == 0 ? std::numeric_limits<double>::infinity()
                                            : keys[i].share_ru_per_second / keys[i].needed_ru;
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return saturates_at(a) < saturates_at(b); });
  double left = cap_ru_per_second;  // cap not taken by saturated keys
  double needed = 0;                // needed RU of the keys not saturated
  for (std::size_t i : order) needed += keys[i].needed_ru;
  std::size_t next = 0;
  while (next < order.size() && saturates_at(order[next]) * needed <= left) {
    left -= keys[order[next]].share_ru_per_second;
    needed -= keys[order[next]].needed_ru;
    ++next;
  }
  const double lambda = needed > 0 ? left / needed : 0;
  for (std::size_t k = next; k < order.size(); ++k) rates[order[k]] = lambda * keys[order[k]].needed_ru;
  return rates;
}

double utilization(const throughput_bound& bound, double elapsed_seconds) {
  if (!(elapsed_seconds > 0) || !std::isfinite(elapsed_seconds)) {
    throw std::invalid_argument("throughput bound: elapsed seconds must be > 0, got " + std::to_string(elapsed_seconds));
  }
  return bound.min_seconds / elapsed_seconds;
}

}  // namespace idabus::pipeline
