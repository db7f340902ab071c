#include "tools/tenant-gen/prng.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <regex>
#include <set>

namespace tg = idabus::tenant_gen;

TEST(Splitmix64, MatchesTheReferenceSequence) {
  // splitmix64.c (Vigna) from x = 1234567.
  std::uint64_t state = 1234567;
  EXPECT_EQ(tg::splitmix64_next(state), 6457827717110365317ULL);
  EXPECT_EQ(tg::splitmix64_next(state), 3203168211198807973ULL);
  EXPECT_EQ(tg::splitmix64_next(state), 9817491932198370423ULL);
  EXPECT_EQ(tg::splitmix64_next(state), 4593380528125082431ULL);
  EXPECT_EQ(tg::splitmix64_next(state), 16408922859458223821ULL);
}

TEST(Prng, Xoshiro256StarStarMatchesTheReferenceOutputs) {
  // xoshiro256starstar.c (Blackman & Vigna) with s = {1, 2, 3, 4}: its first ten next() values.
  auto p = tg::prng::from_state(1, 2, 3, 4);
  const std::uint64_t expected[] = {11520ULL,
                                    0ULL,
                                    1509978240ULL,
                                    1215971899390074240ULL,
                                    1216172134540287360ULL,
                                    607988272756665600ULL,
                                    16172922978634559625ULL,
                                    8476171486693032832ULL,
                                    10595114339597558777ULL,
                                    2904607092377533576ULL};
  for (std::size_t i = 0; i < std::size(expected); ++i) EXPECT_EQ(p.next(), expected[i]) << "output " << i;
}

TEST(Prng, SeedsTheFourStateWordsWithSplitmix64) {
  // The reference algorithms composed: s = four splitmix64 outputs from x = 42, then xoshiro256**.
  tg::prng seeded(42);
  auto explicit_state = tg::prng::from_state(13679457532755275413ULL, 2949826092126892291ULL,
                                             5139283748462763858ULL, 6349198060258255764ULL);
  EXPECT_EQ(seeded.next(), 1546998764402558742ULL);
  EXPECT_EQ(seeded.next(), 6990951692964543102ULL);
  EXPECT_EQ(seeded.next(), 12544586762248559009ULL);
  EXPECT_EQ(explicit_state.next(), 1546998764402558742ULL);
}

TEST(Prng, SameSeedGivesTheSameSequence) {
  tg::prng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(), b.next());
}

TEST(Prng, DifferentSeedsGiveDifferentSequences) {
  tg::prng a(42), b(43);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += a.next() == b.next();
  EXPECT_EQ(same, 0);
}

TEST(Prng, ZeroSeedStillProducesVaryingOutput) {
  tg::prng a(0);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(a.next());
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Prng, BelowStaysUnderTheBoundAndReachesEveryValue) {
  tg::prng a(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto v = a.below(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(a.below(0), 0u);
  EXPECT_EQ(a.below(1), 0u);
}

TEST(Prng, BetweenIsInclusiveOnBothEnds) {
  tg::prng a(9);
  bool lo = false, hi = false;
  for (int i = 0; i < 2000; ++i) {
    auto v = a.between(3, 6);
    ASSERT_GE(v, 3u);
    ASSERT_LE(v, 6u);
    lo = lo || v == 3;
    hi = hi || v == 6;
  }
  EXPECT_TRUE(lo);
  EXPECT_TRUE(hi);
  EXPECT_EQ(a.between(5, 2), 5u);
}

TEST(Prng, UnitIsInTheHalfOpenInterval) {
  tg::prng a(11);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    double u = a.unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

TEST(StreamSeed, DependsOnSeedStreamAndIndex) {
  const auto base = tg::stream_seed(1, 0, 0);
  EXPECT_EQ(base, tg::stream_seed(1, 0, 0));
  EXPECT_NE(base, tg::stream_seed(2, 0, 0));
  EXPECT_NE(base, tg::stream_seed(1, 1, 0));
  EXPECT_NE(base, tg::stream_seed(1, 0, 1));
  EXPECT_NE(tg::stream_seed(1, 1, 0), tg::stream_seed(1, 0, 1));
}

TEST(UuidFrom, FormatsAVersion4UuidLikeString) {
  const std::string id = tg::uuid_from(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  EXPECT_EQ(id, "01234567-89ab-4def-bedc-ba9876543210");
  EXPECT_TRUE(std::regex_match(tg::uuid_from(~0ULL, 0), std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
}
