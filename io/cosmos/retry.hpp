#pragma once
// Retry policy of the Cosmos client (pure decisions, no I/O), per reference §7:
//   429                      wait x-ms-retry-after-ms (or the backoff when absent) and retry with
//                            no attempt limit; only `throttle_give_up_after` without progress
//                            ends it.
//   449, 408, 503, 500?      no: 500 is not retried. 449/408/503 and transport failures (connect
//                            failed, reset, timeout): exponential backoff with full jitter,
//                            at most `max_transient_attempts` attempts.
//   410 / 1002, 1007, 1008   the partition key range is gone or splitting: the caller re-reads
//                            the ranges and continues on the children (split).
//   410 other                transient (backoff).
//   400 401 403 404 409 412 413 and everything else: never retried.

#include <chrono>
#include <cstdint>
#include <random>

namespace idabus::io::cosmos {

enum class failure_class {
  throttled,   ///< 429: wait the server's hint, unbounded attempts
  transient,   ///< 408, 449, 503, 410 (not a split), transport failures: bounded backoff
  range_gone,  ///< 410 with substatus 1002/1007/1008: refresh ranges, continue on the children
  permanent,   ///< everything else: report
};

failure_class classify(unsigned status, int substatus) noexcept;

struct retry_options {
  /// Attempts per request for transient failures (the first try counts).
  int max_transient_attempts = 8;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  /// A request throttled (429) again and again gives up only when no request of this client has
  /// succeeded for this long.
  std::chrono::milliseconds throttle_give_up_after = std::chrono::minutes(10);
  /// Wait used for a 429 without x-ms-retry-after-ms.
  std::chrono::milliseconds default_retry_after{1000};
  /// How many times one range may be re-resolved after 410 before the query fails.
  int max_range_refreshes = 10;
};

/// Full-jitter exponential backoff: uniform in [0, min(max, initial * 2^(attempt-1))], at least
/// 1 ms. `attempt` is 1 for the first retry.
std::chrono::milliseconds backoff_delay(const retry_options& options, int attempt, std::mt19937_64& rng);

/// Parses x-ms-retry-after-ms ("15", "15.5"); std::chrono::milliseconds{-1} when absent or bad.
std::chrono::milliseconds parse_retry_after(std::string_view header) noexcept;

}  // namespace idabus::io::cosmos
