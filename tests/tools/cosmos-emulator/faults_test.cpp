#include "tools/cosmos-emulator/faults.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace idabus::emulator {
namespace {

fault_options with(double p429, double p503, double preset, std::uint64_t seed) {
  fault_options o;
  o.throttle_probability = p429;
  o.unavailable_probability = p503;
  o.reset_probability = preset;
  o.seed = seed;
  return o;
}

std::vector<fault> draw(fault_options o, int n) {
  fault_injector f(o);
  std::vector<fault> out;
  for (int i = 0; i < n; ++i) out.push_back(f.next());
  return out;
}

TEST(FaultInjector, SameSeedGivesTheSameFaults) {
  fault_options o = with(0.2, 0.2, 0.2, 7);
  EXPECT_EQ(draw(o, 500), draw(o, 500));
}

TEST(FaultInjector, DifferentSeedsGiveDifferentFaults) {
  fault_options a = with(0.2, 0.2, 0.2, 7);
  fault_options b = with(0.2, 0.2, 0.2, 8);
  EXPECT_NE(draw(a, 500), draw(b, 500));
}

TEST(FaultInjector, FrequenciesFollowTheProbabilities) {
  fault_options o = with(0.10, 0.05, 0.20, 1);
  std::map<fault, int> counts;
  const int n = 20000;
  for (auto f : draw(o, n)) ++counts[f];
  EXPECT_NEAR(counts[fault::throttle] / double(n), 0.10, 0.015);
  EXPECT_NEAR(counts[fault::unavailable] / double(n), 0.05, 0.01);
  EXPECT_NEAR(counts[fault::reset] / double(n), 0.20, 0.015);
  EXPECT_NEAR(counts[fault::none] / double(n), 0.65, 0.02);
}

TEST(FaultInjector, ZeroProbabilitiesNeverInjectAndCertaintyAlwaysDoes) {
  fault_injector off(fault_options{});
  EXPECT_TRUE(off.disabled());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(off.next(), fault::none);
  fault_injector always(with(0, 1, 0, 3));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(always.next(), fault::unavailable);
}

TEST(FaultInjector, OnlyMatchingRequestsDrawAndLeaveTheSequenceToThemselves) {
  fault_options aimed = with(0.3, 0.3, 0.3, 7);
  aimed.only = "PUT /dbs/d/colls/c/docs/lease";
  fault_injector f(aimed);
  std::vector<fault> got;
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(f.next("GET", "/dbs/d/colls/c/docs/lease"), fault::none);
    EXPECT_EQ(f.next("PUT", "/dbs/d/colls/c/docs/other"), fault::none);
    got.push_back(f.next("PUT", "/dbs/d/colls/c/docs/lease"));
  }
  // The matching requests see the same faults as if they were the only requests.
  EXPECT_EQ(got, draw(with(0.3, 0.3, 0.3, 7), 200));
}

TEST(FaultInjector, NoFaultAfterTheLimit) {
  fault_options o = with(0, 0, 1, 3);
  o.limit = 2;
  fault_injector f(o);
  EXPECT_EQ(f.next(), fault::reset);
  EXPECT_EQ(f.next(), fault::reset);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(f.next(), fault::none);
}

}  // namespace
}  // namespace idabus::emulator
