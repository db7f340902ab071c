#include "pipeline/throughput_bound.hpp"

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

double utilization(const throughput_bound& bound, double elapsed_seconds) {
  if (!(elapsed_seconds > 0) || !std::isfinite(elapsed_seconds)) {
    throw std::invalid_argument("throughput bound: elapsed seconds must be > 0, got " + std::to_string(elapsed_seconds));
  }
  return bound.min_seconds / elapsed_seconds;
}

}  // namespace idabus::pipeline
