#pragma once
// throughput_bound: the physical limit of a job whose load is spread over keys that each have
// their own rate (e.g. the physical partitions of a store, each with its share of the
// provisioned RU/s), under an optional job-wide cap (DESIGN §9).
//
//   T_min = max( max over keys (needed_k ÷ share_k),  total ÷ cap )
//   achievable rate = total ÷ T_min
//
// A job cannot finish faster than its hottest key allows: when one key carries most of the load,
// the achievable rate is far below the sum of the shares. A key with share 0 is unlimited (no
// bound of its own); cap 0 means no cap. Pure functions; no I/O.

#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace idabus::pipeline {

struct key_load {
  double needed_ru = 0;            ///< RU the job must spend on this key
  double share_ru_per_second = 0;  ///< the key's rate; 0 = unlimited
};

struct throughput_bound {
  static constexpr std::size_t cap_limited = std::numeric_limits<std::size_t>::max();

  double total_ru = 0;     ///< sum of needed_ru
  double min_seconds = 0;  ///< T_min; 0 when nothing bounds the job (or nothing is needed)
  /// total_ru ÷ min_seconds; +infinity when nothing bounds a job that needs RU, 0 for no load.
  double achievable_ru_per_second = 0;
  /// Index of the key that sets T_min, or cap_limited when the cap does (ties: the key); means
  /// nothing when min_seconds is 0.
  std::size_t limiting = cap_limited;
};

/// Throws std::invalid_argument for a negative or non-finite load, share or cap.
throughput_bound physical_bound(std::span<const key_load> keys, double cap_ru_per_second = 0);

/// The rates (RU/s per key, in `keys` order) that finish the job soonest under the cap: the
/// keys' needed_ru is what they still need. Without a cap, or when the keys' shares fit under it,
/// every key gets its share. Otherwise (water-filling) key k gets min(share_k, λ × needed_k) with
/// λ such that the rates add up to the cap: the keys below their share then finish together,
/// and a hot key keeps its whole share instead of an equal part of the cap. A key that needs
/// nothing gets 0; a key with share 0 (unlimited) gets λ × needed. With a cap, the rates add up
/// to at most the cap. Throws std::invalid_argument like physical_bound.
std::vector<double> allocate_rates(std::span<const key_load> keys, double cap_ru_per_second);

/// How much of the bound a run used: T_min ÷ elapsed (1.0 = as fast as physically possible).
/// Throws std::invalid_argument when elapsed_seconds is not > 0.
double utilization(const throughput_bound& bound, double elapsed_seconds);

}  // namespace idabus::pipeline
