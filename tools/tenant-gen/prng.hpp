#pragma once
// prng: the seeded pseudo-random numbers behind tenant-gen's deterministic documents.
// Everything here is specified bit for bit (splitmix64 to seed, xoshiro256** to draw, integer
// rejection for bounded draws, 53-bit doubles), so the same seed gives the same documents on
// every compiler and standard library — unlike std:: distributions, whose output is
// implementation-defined. Not cryptographic. No I/O, no exceptions except where stated.

#include <cstdint>
#include <string>

namespace idabus::tenant_gen {

/// One step of splitmix64: advances `state` and returns the next output.
std::uint64_t splitmix64_next(std::uint64_t& state) noexcept;

/// A well-mixed 64-bit value of (seed, stream, index): the seed of one document's generator.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) noexcept;

class prng {
 public:
  /// Seeds the four state words from `seed` with splitmix64 (never all zero).
  explicit prng(std::uint64_t seed) noexcept;
  /// A generator in the given state (s[0..3] of the reference xoshiro256starstar.c; all zero
  /// becomes s0 = 1). For checking against the reference implementation's outputs.
  static prng from_state(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2, std::uint64_t s3) noexcept;

  /// The next 64 random bits (xoshiro256**).
  std::uint64_t next() noexcept;
  /// Uniform in [0, bound); 0 when bound is 0. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t bound) noexcept;
  /// Uniform in [lo, hi] (inclusive); lo when hi < lo.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept;
  /// Uniform in [0, 1) with 53 bits.
  double unit() noexcept;
  /// True with probability p.
  bool chance(double p) noexcept;

 private:
  std::uint64_t s_[4];
};

/// A uuid-like id (8-4-4-4-12 lower-case hex, version 4 and variant bits set) from 128 bits.
std::string uuid_from(std::uint64_t high, std::uint64_t low);

}  // namespace idabus::tenant_gen
