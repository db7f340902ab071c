#include "tools/tenant-gen/prng.hpp"

namespace idabus::tenant_gen {

namespace {
constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
}  // namespace

std::uint64_t splitmix64_next(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) noexcept {
  std::uint64_t s = seed;
  std::uint64_t a = splitmix64_next(s);
  s = a ^ (stream * 0xd1b54a32d192ed03ULL);
  std::uint64_t b = splitmix64_next(s);
  s = b ^ (index * 0xaef17502108ef2d9ULL);
  return splitmix64_next(s);
}

prng::prng(std::uint64_t seed) noexcept {
  std::uint64_t state = seed;
  for (auto& w : s_) w = splitmix64_next(state);
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

prng prng::from_state(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2, std::uint64_t s3) noexcept {
  prng p(0);
  p.s_[0] = (s0 | s1 | s2 | s3) == 0 ? 1 : s0;
  p.s_[1] = s1;
  p.s_[2] = s2;
  p.s_[3] = s3;
  return p;
}

std::uint64_t prng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t prng::below(std::uint64_t bound) noexcept {
  if (bound == 0) return 0;
  // Reject the top partial block so every residue is equally likely.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  for (;;) {
    std::uint64_t x = next();
    if (x < limit) return x % bound;
  }
}

std::uint64_t prng::between(std::uint64_t lo, std::uint64_t hi) noexcept {
  if (hi < lo) return lo;
  if (hi - lo == ~std::uint64_t{0}) return next();
  return lo + below(hi - lo + 1);
}

double prng::unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

bool prng::chance(double p) noexcept { return unit() < p; }

std::string uuid_from(std::uint64_t high, std::uint64_t low) {
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  auto put = [&](std::uint64_t v, int from_nibble, int count) {
    for (int i = 0; i < count; ++i) out.push_back(hex[(v >> (4 * (from_nibble - i))) & 0xf]);
  };
  put(high, 15, 8);
  out.push_back('-');
  put(high, 7, 4);
  out.push_back('-');
  put(high, 3, 4);
  out.push_back('-');
  put(low, 15, 4);
  out.push_back('-');
  put(low, 11, 12);
  return out;
}

}  // namespace idabus::tenant_gen
