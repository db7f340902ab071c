#include "io/cosmos/retry.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace idabus::io::cosmos {

failure_class classify(unsigned status, int substatus) noexcept {
  switch (status) {
    case 429:
      return failure_class::throttled;
    case 408:
    case 449:
    case 503:
      return failure_class::transient;
    case 410:
      if (substatus == 1002 || substatus == 1007 || substatus == 1008) return failure_class::range_gone;
      return failure_class::transient;
    default:
      return failure_class::permanent;
  }
}

std::chrono::milliseconds backoff_delay(const retry_options& options, int attempt, std::mt19937_64& rng) {
  const int shift = std::clamp(attempt - 1, 0, 30);
  const long long initial = std::max<long long>(1, options.initial_backoff.count());
  long long cap = options.max_backoff.count();
  if (shift < 62 && initial <= (cap >> shift)) cap = initial << shift;
  cap = std::max<long long>(1, cap);
  std::uniform_int_distribution<long long> pick(1, cap);
  return std::chrono::milliseconds(pick(rng));
}

std::chrono::milliseconds parse_retry_after(std::string_view header) noexcept {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty()) return std::chrono::milliseconds(-1);
  double value = 0;
  const auto r = std::from_chars(header.data(), header.data() + header.size(), value);
  if (r.ec != std::errc() || r.ptr != header.data() + header.size() || value < 0 || value > 3.6e6) {
    return std::chrono::milliseconds(-1);
  }
  return std::chrono::milliseconds(static_cast<long long>(value + 0.999));
}

}  // namespace idabus::io::cosmos
